using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Urumi.Hosting.Http;

namespace Urumi.Functions.Live;

/// <summary>
/// Writes a text/event-stream response: events (with an id the client sends back as Last-Event-ID when it
/// reconnects) and comment heartbeats, each flushed at once.
/// </summary>
public sealed class ServerSentEvents(HttpResponse response)
{
    /// <summary>How long a client waits before reconnecting, sent once at the start (the `retry` field).</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The id the client last saw (its Last-Event-ID header), null on a first connection (no header, or an empty one,
    /// which the SSE standard lets a stream reset to); false when it is not an id this stream sends
    /// (<paramref name="isEventId"/>): a reconnect is never silently read as a first connection.
    /// </summary>
    public static bool TryLastEventId(HttpRequest request, Func<string, bool> isEventId, out string? id)
    {
        id = request.Headers["Last-Event-ID"].FirstOrDefault() is { Length: > 0 } text ? text : null;
        return id is null || id.Length <= 100 && isEventId(id);
    }

    /// <summary>The 400 for a Last-Event-ID that this stream did not send.</summary>
    public static IResult InvalidLastEventId() => Problems.Validation(new Dictionary<string, string[]>
    {
        ["Last-Event-ID"] = ["is not an event id this stream sent; reconnect without it"],
    });

    /// <summary>Sends the headers: no caching, no transformation, and no buffering by proxies (nginx reads X-Accel-Buffering).</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await WriteAsync($"retry: {ReconnectDelay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}\n\n", ct);
    }

    /// <summary>One event; <paramref name="id"/> null keeps the client's last event id as it is.</summary>
    public Task EventAsync(string name, string data, string? id, CancellationToken ct)
    {
        var text = new StringBuilder();
        if (id is not null)
        {
            text.Append("id: ").Append(id).Append('\n');
        }
        text.Append("event: ").Append(name).Append('\n');
        foreach (var line in data.Split('\n'))
        {
            text.Append("data: ").Append(line).Append('\n');
        }
        return WriteAsync(text.Append('\n').ToString(), ct);
    }

    /// <summary>A comment line: keeps idle connections (and the proxies on their way) open.</summary>
    public Task HeartbeatAsync(CancellationToken ct) => WriteAsync(": heartbeat\n\n", ct);

    private async Task WriteAsync(string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}

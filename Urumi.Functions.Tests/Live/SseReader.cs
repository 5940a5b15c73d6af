using System.Text;

namespace Urumi.Functions.Tests.Live;

/// <summary>One Server-Sent Event as a client parses it (comments are kept apart, for the heartbeat test).</summary>
public sealed record SseEvent(string? Id, string Name, string Data);

/// <summary>Reads a text/event-stream response as a browser does: fields per line, an empty line ends an event.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    public List<string> Comments { get; } = [];

    /// <summary>The next event, or null when the stream ends; fails after <paramref name="timeout"/>.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? id = null, name = null;
        var data = new List<string>();
        while (await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return new SseEvent(id, name ?? "message", string.Join('\n', data));
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                Comments.Add(line);
                continue;
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": name = value; break;
                case "data": data.Add(value); break;
            }
        }
        return null;
    }

    /// <summary>Reads on until the next comment line (a heartbeat), skipping events.</summary>
    public async Task<string> NextCommentAsync(TimeSpan timeout)
    {
        var before = Comments.Count;
        using var cts = new CancellationTokenSource(timeout);
        while (Comments.Count == before && await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith(':'))
            {
                Comments.Add(line);
            }
        }
        return Comments.Count > before ? Comments[^1] : throw new InvalidOperationException("the stream ended");
    }

    public void Dispose() => _reader.Dispose();
}

using System.Collections.Concurrent;
using System.Net;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>
/// A tiny OTLP/HTTP collector on 127.0.0.1: the app process exports to it (OTEL_EXPORTER_OTLP_ENDPOINT, protocol
/// http/protobuf) and the test reads the spans it received. Metrics and logs are accepted and dropped.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<OtlpSpan> _spans = new();
    private readonly Task _loop;

    private OtlpReceiver(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public string Endpoint { get; }

    public IReadOnlyList<OtlpSpan> Spans => [.. _spans];

    public static OtlpReceiver Start() => new(FreePort.Next());

    /// <summary>The settings that point the app's exporter here, flushing spans every 200 ms.</summary>
    public Dictionary<string, string> Settings() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in OtlpSpan.ParseExportRequest(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

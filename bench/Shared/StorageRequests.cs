using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Urumi.Bench;

/// <summary>
/// Counts this process's HTTP requests to Azurite per service (blob, queue, table), and the time spent in them, from
/// .NET's own HttpClient metric (System.Net.Http, http.client.request.duration), which the Azure SDK's transport
/// records like any HttpClient. No change to the app: every storage client of the process is counted.
/// </summary>
internal sealed class StorageRequests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<int, string> _services;
    private readonly ConcurrentDictionary<string, (long Count, double Seconds)> _counts = new();

    public StorageRequests(int blobPort, int queuePort, int tablePort)
    {
        _services = new() { [blobPort] = "blob", [queuePort] = "queue", [tablePort] = "table" };
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.request.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnRequest);
        _listener.Start();
    }

    /// <summary>Requests and seconds per service since the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, (long Count, double Seconds)> Snapshot() => new Dictionary<string, (long, double)>(_counts);

    public void Reset() => _counts.Clear();

    private void OnRequest(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "server.port" && tag.Value is int port && _services.TryGetValue(port, out var service))
            {
                _counts.AddOrUpdate(service, (1, seconds), (_, c) => (c.Count + 1, c.Seconds + seconds));
                return;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

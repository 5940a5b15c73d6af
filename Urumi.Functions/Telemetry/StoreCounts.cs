using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Telemetry;

/// <summary>
/// How many stores are in each phase, read from the registry (the Phase column only) at most once per
/// Urumi:Telemetry:StoreCountInterval and only when a collector asks: a read answers with the last snapshot and
/// starts the next one in the background when it is stale, so an export never waits for storage.
/// </summary>
public sealed partial class StoreCounts(StoreRegistry registry, IOptions<TelemetryOptions> options, TimeProvider time, ILogger<StoreCounts> logger)
{
    private IReadOnlyDictionary<StorePhase, long> _counts = new Dictionary<StorePhase, long>();
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private int _refreshing;

    public IEnumerable<Measurement<long>> ByPhase()
    {
        RefreshIfStale();
        var counts = _counts;
        return Enum.GetValues<StorePhase>().Select(p => new Measurement<long>(counts.GetValueOrDefault(p), UrumiMetrics.Tag("phase", p.ToString())));
    }

    public long Queued()
    {
        RefreshIfStale();
        return _counts.GetValueOrDefault(StorePhase.Queued);
    }

    private void RefreshIfStale()
    {
        if (time.GetUtcNow() - _readAt < options.Value.StoreCountInterval || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                _counts = await registry.CountByPhaseAsync();
                _readAt = time.GetUtcNow();
            }
            catch (Exception e)
            {
                CountFailed(logger, e);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    [LoggerMessage(5001, LogLevel.Warning, "Telemetry: counting the stores by phase failed")]
    private static partial void CountFailed(ILogger logger, Exception e);
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Telemetry;

/// <summary>
/// How many stores are in each phase, read from the registry (the Phase column only) at most once per
/// Urumi:Telemetry:StoreCountInterval and only when a collector asks: a read answers with the last snapshot and
/// starts the next one in the background when it is stale, so an export never waits for storage. Until the first
/// read has answered, nothing is reported: a scrape right after start would otherwise say there are no stores.
/// </summary>
public sealed partial class StoreCounts(StoreRegistry registry, IOptions<TelemetryOptions> options, TimeProvider time, ILogger<StoreCounts> logger)
{
    private IReadOnlyDictionary<StorePhase, long>? _known;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private int _refreshing;

    /// <summary>One measurement per phase; none until the first count is read (unknown is not zero).</summary>
    public IEnumerable<Measurement<long>> ByPhase()
    {
        RefreshIfStale();
        if (_known is not { } counts)
        {
            return [];
        }
        return Enum.GetValues<StorePhase>().Select(p => new Measurement<long>(counts.GetValueOrDefault(p), UrumiMetrics.Tag("phase", p.ToString())));
    }

    /// <summary>The Queued stores as one measurement; none until the first count is read.</summary>
    public IEnumerable<Measurement<long>> Queued()
    {
        RefreshIfStale();
        return _known is { } counts ? [new Measurement<long>(counts.GetValueOrDefault(StorePhase.Queued))] : [];
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
                _known = await registry.CountByPhaseAsync();
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

using System.Collections.Concurrent;
using System.Diagnostics;
using Urumi.Functions.Cluster;
using Urumi.Functions.Telemetry;

namespace Urumi.Functions.Provisioning;

/// <summary>Per store: time inside helm, time inside Kubernetes calls, and when its orchestration ended.</summary>
public sealed record StoreTimings(string StoreId, TimeSpan Helm, TimeSpan Kubernetes, long? CompletedTimestamp, string? Outcome);

/// <summary>
/// Adds up, per store, the time this process spent in helm and in Kubernetes API calls, so the control plane's
/// own overhead (end to end minus those) can be measured (bench/Urumi.Functions.Bench does); records each
/// provisioning's duration (urumi.provisioning.duration) and its wait at the gate (urumi.provisioning.gate.wait).
/// </summary>
public sealed partial class ProvisioningMetrics(TimeProvider time, ILogger<ProvisioningMetrics> logger)
{
    private readonly ConcurrentDictionary<string, StoreTimings> _stores = new(StringComparer.Ordinal);

    /// <summary>Measures the async flow until disposed and adds it to <paramref name="storeId"/>.</summary>
    public IDisposable Measure(string storeId) => new Scope(this, storeId, StepTimes.Begin());

    /// <summary>Raised when a store's provisioning ends here (Ready, or its failure recorded).</summary>
    public event Action<StoreTimings>? Completed;

    /// <summary>A provisioning ended with <paramref name="outcome"/> (Ready, Failed), <paramref name="requestedAt"/> being when it was asked for.</summary>
    public void Complete(string storeId, string outcome, string engine, DateTimeOffset requestedAt)
    {
        if (requestedAt != default)
        {
            UrumiMetrics.ProvisioningDuration.Record((time.GetUtcNow() - requestedAt).TotalSeconds,
                UrumiMetrics.Tag("engine", engine), UrumiMetrics.Tag("outcome", outcome));
        }
        var timings = _stores.AddOrUpdate(storeId,
            id => new StoreTimings(id, TimeSpan.Zero, TimeSpan.Zero, Stopwatch.GetTimestamp(), outcome),
            (_, t) => t with { CompletedTimestamp = Stopwatch.GetTimestamp(), Outcome = outcome });
        StoreFinished(logger, storeId, outcome, timings.Helm.TotalSeconds, timings.Kubernetes.TotalSeconds);
        Completed?.Invoke(timings);
    }

    /// <summary>A provisioning got its slot at the gate after waiting since <paramref name="queuedAt"/>.</summary>
    public void SlotGranted(string engine, DateTimeOffset queuedAt) =>
        UrumiMetrics.GateWait.Record(Math.Max(0, (time.GetUtcNow() - queuedAt).TotalSeconds), UrumiMetrics.Tag("engine", engine));

    public StoreTimings? Get(string storeId) => _stores.TryGetValue(storeId, out var t) ? t : null;

    private void Add(string storeId, StepTimes times) => _stores.AddOrUpdate(storeId,
        id => new StoreTimings(id, times.Helm, times.Kubernetes, null, null),
        (_, t) => t with { Helm = t.Helm + times.Helm, Kubernetes = t.Kubernetes + times.Kubernetes });

    [LoggerMessage(4100, LogLevel.Information, "Store {StoreId} {Outcome}; this process spent {HelmSeconds:F2} s in helm and {KubernetesSeconds:F2} s in Kubernetes calls for it")]
    private static partial void StoreFinished(ILogger logger, string storeId, string outcome, double helmSeconds, double kubernetesSeconds);

    private sealed class Scope(ProvisioningMetrics metrics, string storeId, StepTimes times) : IDisposable
    {
        public void Dispose() => metrics.Add(storeId, times);
    }
}

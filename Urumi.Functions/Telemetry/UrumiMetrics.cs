using System.Diagnostics.Metrics;
using Urumi.Hosting.Telemetry;

namespace Urumi.Functions.Telemetry;

/// <summary>
/// The store lifecycle's instruments, on the control plane's one Meter ("Urumi", <see cref="UrumiTelemetry.Meter"/>).
/// Durations are in seconds; every tag is from a closed set (phase, engine, outcome, helm verb, failure reason).
/// </summary>
public static class UrumiMetrics
{
    private static StoreCounts? _storeCounts;

    public static readonly ObservableGauge<long> Stores = UrumiTelemetry.Meter.CreateObservableGauge(
        "urumi.stores", () => _storeCounts?.ByPhase() ?? [], null, "Stores in the registry, by phase.");

    public static readonly ObservableGauge<long> QueueLength = UrumiTelemetry.Meter.CreateObservableGauge(
        "urumi.provisioning.queue.length", () => _storeCounts?.Queued() ?? [],
        null, "Stores waiting for a provisioning slot (phase Queued).");

    public static readonly Histogram<double> ProvisioningDuration = UrumiTelemetry.Meter.CreateHistogram<double>(
        "urumi.provisioning.duration", "s", "From the request to Ready or Failed, per provisioning attempt.");

    public static readonly Histogram<double> GateWait = UrumiTelemetry.Meter.CreateHistogram<double>(
        "urumi.provisioning.gate.wait", "s", "Time a provisioning waited at the gate for a slot.");

    public static readonly Histogram<double> HelmDuration = UrumiTelemetry.Meter.CreateHistogram<double>(
        "urumi.helm.duration", "s", "Each helm run, by command and outcome.");

    public static readonly Counter<long> HelmFailures = UrumiTelemetry.Meter.CreateCounter<long>(
        "urumi.helm.failures", null, "helm runs that failed, by command and reason.");

    /// <summary>The gauges read <paramref name="counts"/>'s last snapshot of the registry: a collection costs no storage call.</summary>
    public static void ObserveStores(StoreCounts counts) => _storeCounts = counts;

    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}

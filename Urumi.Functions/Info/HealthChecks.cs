using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Info;

/// <summary>The Kubernetes API answers.</summary>
public sealed class ClusterHealthCheck(ClusterConnection cluster) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var session = await cluster.GetAsync();
        return await new StoreCluster(session.Kubernetes).AnswersAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the Kubernetes API does not answer");
    }
}

/// <summary>
/// Provisioning can make progress: the gate runs, and no store waits while the gate has had a free slot for longer
/// than <see cref="ProvisioningProgress.StallBound"/>. Degraded, not unhealthy: the API still answers and the keeper
/// recreates the gate, so a probe must not restart the process for it.
/// </summary>
public sealed class ProvisioningHealthCheck(DurableTaskClient client, IOptions<UrumiOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var gate = await client.GetInstanceAsync(ProvisioningGate.InstanceId, getInputsAndOutputs: true, cancellation: cancellationToken);
        var reason = (await ProvisioningProgress.ReadAsync(client, gate, options.Value.Provisioning, time.GetUtcNow(), cancellationToken)).Reason;
        return reason is null ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded(reason);
    }
}

/// <summary>The rule of the provisioning health check, on what it read.</summary>
public static class ProvisioningProgress
{
    /// <summary>Twice the gate's check interval: a free slot with stores waiting longer than this is a stall.</summary>
    public static TimeSpan StallBound(ProvisioningSettings settings) => settings.GateHolderCheckInterval * 2;

    /// <summary>Whether the gate has shown a free slot, unchanged, for longer than the bound (then who waits is read).</summary>
    public static bool MayStall(GateStatus? shown, DateTimeOffset now, TimeSpan bound) =>
        shown is not null && shown.Holding < shown.Capacity && now - new DateTimeOffset(shown.UpdatedAt, TimeSpan.Zero) > bound;

    /// <summary>
    /// Reads what the rule needs: the gate (read with its inputs and outputs) and, only when it has shown a free slot
    /// for longer than the bound, when the oldest waiter was created.
    /// </summary>
    public static async Task<ProgressReading> ReadAsync(DurableTaskClient client, OrchestrationMetadata? gate, ProvisioningSettings settings, DateTimeOffset now, CancellationToken ct)
    {
        var shown = gate is { IsRunning: true } ? gate.ReadCustomStatusAs<GateStatus>() : null;
        var bound = StallBound(settings);
        DateTimeOffset? oldestWaiter = null;
        if (MayStall(shown, now, bound))
        {
            oldestWaiter = (await GateQueue.ReadAsync(client, ct)).Where(e => e.Place == GatePlace.Waiting).Select(e => (DateTimeOffset?)e.CreatedAt).Min();
        }
        return new ProgressReading(gate?.RuntimeStatus, shown, oldestWaiter, now, bound);
    }

    /// <summary>Stores have waited longer than the bound while the gate has shown a free slot for that long.</summary>
    public static bool WaitersBesideFreeSlot(GateStatus? shown, DateTimeOffset? oldestWaiter, DateTimeOffset now, TimeSpan bound) =>
        MayStall(shown, now, bound) && oldestWaiter is { } since && now - since > bound;

    /// <summary>Why provisioning cannot make progress, or null when it can.</summary>
    public static string? Assess(OrchestrationRuntimeStatus? gate, GateStatus? shown, DateTimeOffset? oldestWaiter, DateTimeOffset now, TimeSpan bound)
    {
        if (gate is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending))
        {
            return $"the provisioning gate is not running ({gate?.ToString() ?? "missing"}): queued stores wait until it is started again";
        }
        if (WaitersBesideFreeSlot(shown, oldestWaiter, now, bound))
        {
            return $"stores have waited more than {bound} while the provisioning gate has a free slot ({shown!.Holding} of {shown.Capacity} held)";
        }
        return null;
    }
}

/// <summary>What <see cref="ProvisioningProgress.ReadAsync"/> read, and the rule's answers on it.</summary>
public sealed record ProgressReading(OrchestrationRuntimeStatus? Gate, GateStatus? Shown, DateTimeOffset? OldestWaiter, DateTimeOffset Now, TimeSpan Bound)
{
    /// <summary>Why provisioning cannot make progress, or null when it can (<see cref="ProvisioningProgress.Assess"/>).</summary>
    public string? Reason => ProvisioningProgress.Assess(Gate, Shown, OldestWaiter, Now, Bound);

    /// <summary>The gate runs, and stores have waited beside one of its free slots for longer than the bound.</summary>
    public bool WaitersBesideFreeSlot =>
        Gate is OrchestrationRuntimeStatus.Running && ProvisioningProgress.WaitersBesideFreeSlot(Shown, OldestWaiter, Now, Bound);
}

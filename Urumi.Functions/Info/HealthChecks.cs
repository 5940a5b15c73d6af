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
        var shown = gate is { IsRunning: true } ? gate.ReadCustomStatusAs<GateStatus>() : null;
        var bound = ProvisioningProgress.StallBound(options.Value.Provisioning);
        var now = time.GetUtcNow();
        DateTimeOffset? oldestWaiter = null;
        if (ProvisioningProgress.MayStall(shown, now, bound))
        {
            oldestWaiter = (await GateQueue.ReadAsync(client, cancellationToken)).Where(e => e.Place == GatePlace.Waiting).Select(e => (DateTimeOffset?)e.CreatedAt).Min();
        }
        var reason = ProvisioningProgress.Assess(gate?.RuntimeStatus, shown, oldestWaiter, now, bound);
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

    /// <summary>Why provisioning cannot make progress, or null when it can.</summary>
    public static string? Assess(OrchestrationRuntimeStatus? gate, GateStatus? shown, DateTimeOffset? oldestWaiter, DateTimeOffset now, TimeSpan bound)
    {
        if (gate is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending))
        {
            return $"the provisioning gate is not running ({gate?.ToString() ?? "missing"}): queued stores wait until it is started again";
        }
        if (MayStall(shown, now, bound) && oldestWaiter is { } since && now - since > bound)
        {
            return $"stores have waited more than {bound} while the provisioning gate has a free slot ({shown!.Holding} of {shown.Capacity} held)";
        }
        return null;
    }
}

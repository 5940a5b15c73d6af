using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// Keeps the provisioning gate running, in every worker: at start it starts the gate (or sends the running one the
/// configured capacity), then every Urumi:Provisioning:GateHolderCheckInterval it starts the gate again if it failed,
/// was terminated or purged (Durable Functions' singleton pattern: look, start if not running; a start another
/// worker made first is fine). A recreated gate rebuilds its holders and waiting list from the provisionings.
/// </summary>
public sealed partial class ProvisioningGateKeeper(DurableTaskClient client, IOptions<UrumiOptions> options, TimeProvider time, ILogger<ProvisioningGateKeeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await KeepRunningAsync(configure: true, stoppingToken);
        using var timer = new PeriodicTimer(options.Value.Provisioning.GateHolderCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await KeepRunningAsync(configure: false, stoppingToken);
        }
    }

    private async Task KeepRunningAsync(bool configure, CancellationToken ct)
    {
        try
        {
            await EnsureRunningAsync(configure, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Storage may be down for a while: the next tick tries again, and /api/health says the gate is not running.
            CheckFailed(logger, e.Message);
        }
    }

    private async Task EnsureRunningAsync(bool configure, CancellationToken ct)
    {
        var capacity = options.Value.Provisioning.MaxConcurrent;
        var holderCheck = options.Value.Provisioning.GateHolderCheckInterval;
        var gate = await client.GetInstanceAsync(ProvisioningGate.InstanceId, cancellation: ct);
        if (gate is null || gate.IsCompleted)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisioningGate), new GateState(capacity, [], HolderCheck: holderCheck),
                    new StartOrchestrationOptions(ProvisioningGate.InstanceId), ct);
                if (gate is null)
                {
                    GateStarted(logger, capacity);
                }
                else
                {
                    GateRecreated(logger, gate.RuntimeStatus.ToString(), capacity);
                }
                return;
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Another worker started it a moment ago.
            }
        }
        if (configure)
        {
            await client.RaiseEventAsync(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent,
                new GateSignal(GateOp.Configure, Capacity: capacity, HolderCheck: holderCheck), ct);
        }
    }

    [LoggerMessage(4200, LogLevel.Information, "Provisioning gate started: at most {Capacity} stores provision at once")]
    private static partial void GateStarted(ILogger logger, int capacity);

    [LoggerMessage(4201, LogLevel.Warning, "Provisioning gate was {Status}: started again (capacity {Capacity}); it rebuilds its waiting list from the provisionings")]
    private static partial void GateRecreated(ILogger logger, string status, int capacity);

    [LoggerMessage(4202, LogLevel.Warning, "Provisioning gate: could not check that it runs ({Error}); trying again at the next interval")]
    private static partial void CheckFailed(ILogger logger, string error);
}

using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.Functions.Info;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// Keeps the provisioning gate running, in every worker: at start it starts the gate (or sends the running one the
/// configured capacity), then every Urumi:Provisioning:GateHolderCheckInterval it looks at the gate and starts it again
/// once it has found the same gate failed, terminated or purged on two looks in a row (<see cref="GateLook.Decide"/>).
/// Durable Functions' singleton pattern: look, start if not running; a start another worker made first is fine. A
/// recreated gate rebuilds its holders and waiting list from the provisionings. A running gate beside which stores
/// have waited with a slot free for longer than <see cref="ProvisioningProgress.StallBound"/> is asked to read its
/// waiting list again (<see cref="GateOp.Recount"/>): it lost count of a waiter.
/// </summary>
public sealed partial class ProvisioningGateKeeper(DurableTaskClient client, IOptions<UrumiOptions> options, TimeProvider time, ILogger<ProvisioningGateKeeper> logger)
    : BackgroundService
{
    private GateLook? lastLook;

    /// <summary>Whether the gate has been started or sent this worker's settings; until then each check does that.</summary>
    private bool configured;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await KeepRunningAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.Provisioning.GateHolderCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await KeepRunningAsync(stoppingToken);
        }
    }

    private async Task KeepRunningAsync(CancellationToken ct)
    {
        try
        {
            await EnsureRunningAsync(configure: !configured, ct);
            configured = true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Storage may be down for a while: the next tick tries again (the last look stands), and /api/health says
            // the gate is not running.
            CheckFailed(logger, e.Message);
        }
    }

    private async Task EnsureRunningAsync(bool configure, CancellationToken ct)
    {
        var capacity = options.Value.Provisioning.MaxConcurrent;
        var holderCheck = options.Value.Provisioning.GateHolderCheckInterval;
        var gate = await client.GetInstanceAsync(ProvisioningGate.InstanceId, getInputsAndOutputs: true, cancellation: ct);
        var look = GateLook.Of(gate);
        var action = configure ? (look.IsDown ? GateAction.Start : GateAction.Leave) : GateLook.Decide(lastLook, look);
        lastLook = look;
        if (action == GateAction.Watch)
        {
            GateDown(logger, look.Status?.ToString() ?? "missing", holderCheck);
        }
        if (action == GateAction.Start)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisioningGate), GateState.New(capacity, holderCheck),
                    new StartOrchestrationOptions(ProvisioningGate.InstanceId), ct);
                if (gate is null)
                {
                    GateStarted(logger, capacity);
                }
                else
                {
                    GateRecreated(logger, gate.RuntimeStatus.ToString(), capacity);
                }
                lastLook = null;
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
        else if (action == GateAction.Leave && (await ProvisioningProgress.ReadAsync(client, gate, options.Value.Provisioning, time.GetUtcNow(), ct)).WaitersBesideFreeSlot)
        {
            // The gate lost count of a waiter (it heard an acquire that its reads never found): /api/health says so,
            // and a recount lets the waiter in.
            await client.RaiseEventAsync(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateOp.Recount), ct);
            RecountAsked(logger, ProvisioningProgress.StallBound(options.Value.Provisioning));
        }
    }

    [LoggerMessage(4200, LogLevel.Information, "Provisioning gate started: at most {Capacity} stores provision at once")]
    private static partial void GateStarted(ILogger logger, int capacity);

    [LoggerMessage(4201, LogLevel.Warning, "Provisioning gate was {Status}: started again (capacity {Capacity}); it rebuilds its waiting list from the provisionings")]
    private static partial void GateRecreated(ILogger logger, string status, int capacity);

    [LoggerMessage(4203, LogLevel.Warning, "Provisioning gate is {Status}: it is started again if it still is at the next check, in {Interval}")]
    private static partial void GateDown(ILogger logger, string status, TimeSpan interval);

    [LoggerMessage(4204, LogLevel.Warning, "Provisioning gate: stores have waited more than {Bound} beside a free slot; asked the gate to read its waiting list again")]
    private static partial void RecountAsked(ILogger logger, TimeSpan bound);

    [LoggerMessage(4202, LogLevel.Warning, "Provisioning gate: could not check that it runs ({Error}); trying again at the next interval")]
    private static partial void CheckFailed(ILogger logger, string error);
}

/// <summary>What the keeper does after one look at the gate.</summary>
public enum GateAction
{
    /// <summary>The gate runs (or is about to): nothing to do.</summary>
    Leave,

    /// <summary>The gate is down for the first time seen: look again at the next check.</summary>
    Watch,

    /// <summary>The same gate was down at the last look too: start a new one.</summary>
    Start,
}

/// <summary>
/// One look at the gate: its runtime status and creation time, both null when it is missing (never started, or
/// purged). Two looks are the same gate when both are equal.
/// </summary>
public sealed record GateLook(OrchestrationRuntimeStatus? Status, DateTimeOffset? CreatedAt)
{
    public static GateLook Of(OrchestrationMetadata? gate) => new(gate?.RuntimeStatus, gate?.CreatedAt);

    /// <summary>Missing, or ended (completed, failed or terminated).</summary>
    public bool IsDown => Status is null or OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    /// <summary>
    /// Start a gate only when the one seen now was already down, unchanged, at the last look, one check interval ago.
    /// Why not at once: an operator who terminates the gate by hand has one interval to purge it or start it with a
    /// state of their own, without racing the keepers of every worker; and /api/health shows the loss for at least
    /// that long. A lost gate is back within two intervals.
    /// </summary>
    public static GateAction Decide(GateLook? last, GateLook now) =>
        !now.IsDown ? GateAction.Leave : now == last ? GateAction.Start : GateAction.Watch;
}

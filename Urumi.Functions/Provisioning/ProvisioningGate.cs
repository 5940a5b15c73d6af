using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask.Client;

namespace Urumi.Functions.Provisioning;

/// <summary>A request to the gate: Acquire, Release, or Configure (a new capacity).</summary>
public sealed record GateSignal(string Op, string? InstanceId = null, int? Capacity = null, TimeSpan? HolderCheck = null)
{
    public const string Acquire = "Acquire";
    public const string Release = "Release";
    public const string Configure = "Configure";
}

/// <summary>
/// The gate's state (its input across ContinueAsNew): who holds a slot and who waits, in order; and how long the gate waits,
/// full with stores waiting, before it checks whether a holder ended without releasing its slot (terminated by hand).
/// </summary>
public sealed record GateState(int Capacity, List<string> Holders, List<string> Waiting, TimeSpan? HolderCheck = null)
{
    public static readonly TimeSpan DefaultHolderCheck = TimeSpan.FromMinutes(1);

    /// <summary>Full, with stores waiting: only a release (or a holder found ended) lets the next one in.</summary>
    public bool IsBlocked => Waiting.Count > 0 && Holders.Count >= Capacity;
}

/// <summary>What the gate shows in its custom status: its capacity and who waits, in order (the holders are in its state).</summary>
public sealed record GateStatus(int Capacity, List<string> Waiting)
{
    public static GateStatus Of(GateState state) => new(state.Capacity, [.. state.Waiting]);
}

/// <summary>
/// A durable semaphore: one singleton orchestration that admits at most Capacity provisionings at once, across
/// every worker, in arrival order. Provisionings send it "Gate" signals; it answers "Granted".
/// </summary>
public static class ProvisioningGate
{
    public const string InstanceId = "urumi-provisioning-gate";
    public const string SignalEvent = "Gate";
    public const string GrantedEvent = "Granted";
    private const int SignalsPerGeneration = 100;

    [Function(nameof(ProvisioningGate))]
    public static async Task Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var state = context.GetInput<GateState>() ?? new GateState(2, [], []);
        context.SetCustomStatus(GateStatus.Of(state));
        Task<GateSignal>? next = null;
        Task? check = null;
        for (var signals = 0; signals < SignalsPerGeneration;)
        {
            next ??= context.WaitForExternalEvent<GateSignal>(SignalEvent);
            if (state.IsBlocked)
            {
                // One timer at a time, however many signals come meanwhile.
                check ??= context.CreateTimer(state.HolderCheck ?? GateState.DefaultHolderCheck, CancellationToken.None);
            }
            if (check is not null && await Task.WhenAny(next, check) == check)
            {
                check = null;
                if (state.IsBlocked)
                {
                    // A provisioning terminated by hand never sends its release: free the slots of holders that ended.
                    var ended = await context.CallActivityAsync<List<string>>(nameof(StoreActivities.FindEndedGateHolders), state.Holders.ToList());
                    foreach (var holder in ended)
                    {
                        state = Apply(state, new GateSignal(GateSignal.Release, holder));
                    }
                    Grant(context, state);
                }
                continue;
            }
            var signal = await next;
            next = null;
            signals++;
            state = Apply(state, signal);
            Grant(context, state);
        }
        // Keeps the history short; signals not yet processed carry over.
        context.ContinueAsNew(state);
    }

    private static void Grant(TaskOrchestrationContext context, GateState state)
    {
        foreach (var granted in Admit(state))
        {
            context.SendEvent(granted, GrantedEvent, true);
        }
        // Unchanged while nobody waits, so admitting and releasing stores costs no write of the gate's row.
        context.SetCustomStatus(GateStatus.Of(state));
    }

    public static GateState Apply(GateState state, GateSignal signal)
    {
        switch (signal.Op)
        {
            case GateSignal.Acquire when signal.InstanceId is { } id && !state.Holders.Contains(id) && !state.Waiting.Contains(id):
                state.Waiting.Add(id);
                return state;
            case GateSignal.Release when signal.InstanceId is { } id:
                state.Holders.Remove(id);
                state.Waiting.Remove(id);
                return state;
            case GateSignal.Configure when signal.Capacity is > 0 and var capacity:
                return state with { Capacity = capacity, HolderCheck = signal.HolderCheck ?? state.HolderCheck };
            default:
                return state;
        }
    }

    /// <summary>Moves waiters into free slots, first come first served; returns the ones admitted.</summary>
    public static List<string> Admit(GateState state)
    {
        var admitted = new List<string>();
        while (state.Holders.Count < state.Capacity && state.Waiting.Count > 0)
        {
            var next = state.Waiting[0];
            state.Waiting.RemoveAt(0);
            state.Holders.Add(next);
            admitted.Add(next);
        }
        return admitted;
    }

    /// <summary>The instances waiting for a slot, in the order they will get one.</summary>
    public static async Task<List<string>> WaitingAsync(DurableTaskClient client, CancellationToken ct)
    {
        var gate = await client.GetInstanceAsync(InstanceId, getInputsAndOutputs: true, cancellation: ct);
        return gate?.ReadCustomStatusAs<GateStatus>()?.Waiting ?? [];
    }
}

/// <summary>Starts the gate when the app starts (once across workers), or sends it the configured capacity.</summary>
public sealed partial class ProvisioningGateStarter(DurableTaskClient client, Microsoft.Extensions.Options.IOptions<Configuration.UrumiOptions> options, ILogger<ProvisioningGateStarter> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var capacity = options.Value.Provisioning.MaxConcurrent;
        var holderCheck = options.Value.Provisioning.GateHolderCheckInterval;
        var gate = await client.GetInstanceAsync(ProvisioningGate.InstanceId, cancellation: cancellationToken);
        if (gate is null || gate.IsCompleted)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisioningGate), new GateState(capacity, [], [], holderCheck),
                    new StartOrchestrationOptions(ProvisioningGate.InstanceId), cancellationToken);
                GateStarted(logger, capacity);
                return;
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Another worker started it a moment ago.
            }
        }
        await client.RaiseEventAsync(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateSignal.Configure, Capacity: capacity, HolderCheck: holderCheck), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(4200, LogLevel.Information, "Provisioning gate started: at most {Capacity} stores provision at once")]
    private static partial void GateStarted(ILogger logger, int capacity);
}

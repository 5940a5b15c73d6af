using Urumi.Durable;
using Urumi.Durable.Client;

namespace Urumi.Functions.Provisioning;

/// <summary>A request to the gate: Acquire, Release, or Configure (a new capacity).</summary>
public sealed record GateSignal(string Op, string? InstanceId = null, int? Capacity = null)
{
    public const string Acquire = "Acquire";
    public const string Release = "Release";
    public const string Configure = "Configure";
}

/// <summary>The gate's state, also its custom status: who holds a slot and who waits, in order.</summary>
public sealed record GateState(int Capacity, List<string> Holders, List<string> Waiting);

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
        context.SetCustomStatus(state);
        for (var i = 0; i < SignalsPerGeneration; i++)
        {
            var signal = await context.WaitForExternalEvent<GateSignal>(SignalEvent);
            state = Apply(state, signal);
            foreach (var granted in Admit(state))
            {
                context.SendEvent(granted, GrantedEvent, true);
            }
            context.SetCustomStatus(state);
        }
        // Keeps the history short; signals not yet processed carry over.
        context.ContinueAsNew(state);
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
                return state with { Capacity = capacity };
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
        return gate?.ReadCustomStatusAs<GateState>()?.Waiting ?? [];
    }
}

/// <summary>Starts the gate when the app starts (once across workers), or sends it the configured capacity.</summary>
public sealed partial class ProvisioningGateStarter(DurableTaskClient client, Microsoft.Extensions.Options.IOptions<Configuration.UrumiOptions> options, ILogger<ProvisioningGateStarter> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var capacity = options.Value.Provisioning.MaxConcurrent;
        var gate = await client.GetInstanceAsync(ProvisioningGate.InstanceId, cancellation: cancellationToken);
        if (gate is null || gate.IsCompleted)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisioningGate), new GateState(capacity, [], []),
                    new StartOrchestrationOptions(ProvisioningGate.InstanceId), cancellationToken);
                GateStarted(logger, capacity);
                return;
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Another worker started it a moment ago.
            }
        }
        await client.RaiseEventAsync(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateSignal.Configure, Capacity: capacity), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(4200, LogLevel.Information, "Provisioning gate started: at most {Capacity} stores provision at once")]
    private static partial void GateStarted(ILogger logger, int capacity);
}

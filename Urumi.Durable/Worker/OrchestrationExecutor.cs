using Microsoft.Extensions.Logging;
using Urumi.Durable.Client;
using Urumi.Durable.History;

namespace Urumi.Durable.Worker;

/// <summary>Runs orchestrator code: takes the serialized input, returns the serialized output.</summary>
internal delegate Task<string?> OrchestratorInvoker(TaskOrchestrationContext context);

/// <summary>The identity of the execution being replayed.</summary>
internal sealed record OrchestrationInfo(string Name, string InstanceId, string ExecutionId, ParentInstance? Parent);

/// <summary>What one step of an orchestration decided.</summary>
internal sealed class ExecutionResult
{
    public List<OrchestratorAction> Actions { get; } = [];

    /// <summary>Completed, Failed or ContinuedAsNew; null while the orchestration waits.</summary>
    public OrchestrationRuntimeStatus? Completion { get; set; }

    public string? Output { get; set; }

    public TaskFailureDetails? Failure { get; set; }

    public bool PreserveUnprocessedEvents { get; set; }

    /// <summary>External events that arrived but were not consumed before the orchestration completed.</summary>
    public List<HistoryEvent> UnprocessedEvents { get; } = [];

    public string? CustomStatus { get; set; }
}

/// <summary>
/// Deterministic replay: feeds the history (past events, then new ones) to orchestrator code on one thread,
/// checks every action the code takes against the actions recorded in history, and returns the new ones.
/// </summary>
internal static class OrchestrationExecutor
{
    public static ExecutionResult Execute(
        OrchestratorInvoker? invoker,
        OrchestrationInfo info,
        IReadOnlyList<HistoryEvent> past,
        IReadOnlyList<HistoryEvent> newEvents,
        string? customStatus,
        ILoggerFactory loggerFactory)
    {
        var result = new ExecutionResult { CustomStatus = customStatus };
        if (invoker is null)
        {
            result.Completion = OrchestrationRuntimeStatus.Failed;
            result.Failure = new TaskFailureDetails("Urumi.Durable.OrchestratorNotFound", $"No orchestrator function named '{info.Name}' is registered in this app.");
            return result;
        }

        var sync = new OrchestrationSynchronizationContext();
        var context = new ReplayContext(info, sync, loggerFactory, customStatus);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(sync);
        Task<string?>? orchestration = null;
        try
        {
            var total = past.Count + newEvents.Count;
            for (var i = 0; i < total; i++)
            {
                var e = i < past.Count ? past[i] : newEvents[i - past.Count];
                if (orchestration is { IsCompleted: true } || context.Fatal is not null)
                {
                    if (e.EventType == EventType.EventRaised)
                    {
                        result.UnprocessedEvents.Add(e);
                    }
                    continue;
                }
                context.IsReplayingNow = i < past.Count;
                switch (e.EventType)
                {
                    case EventType.OrchestratorStarted:
                        context.Now = e.Timestamp;
                        break;
                    case EventType.ExecutionStarted:
                        context.Input = e.Input;
                        sync.Post(_ => orchestration = Invoke(invoker, context), null);
                        break;
                    case EventType.TaskScheduled:
                    case EventType.TimerCreated:
                    case EventType.SubOrchestrationInstanceCreated:
                    case EventType.EventSent:
                        context.Confirm(e);
                        break;
                    case EventType.TaskCompleted:
                    case EventType.TimerFired:
                    case EventType.SubOrchestrationInstanceCompleted:
                        context.Resolve(e.TaskScheduledId, e.Result, null);
                        break;
                    case EventType.TaskFailed:
                    case EventType.SubOrchestrationInstanceFailed:
                        context.Resolve(e.TaskScheduledId, null, e.FailureDetails ?? new TaskFailureDetails("Unknown", "The task failed."));
                        break;
                    case EventType.EventRaised:
                        context.Deliver(e.Name ?? "", e.Input);
                        break;
                }
                sync.Drain();
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
            context.Running = false;
        }

        result.CustomStatus = context.CustomStatus;
        if (context.Fatal is { } fatal)
        {
            result.Completion = OrchestrationRuntimeStatus.Failed;
            result.Failure = new TaskFailureDetails(typeof(NonDeterministicOrchestrationException).FullName!, fatal);
            return result;
        }
        result.Actions.AddRange(context.UnconfirmedActions());
        if (orchestration is not { IsCompleted: true })
        {
            return result;
        }
        if (orchestration.IsFaulted || orchestration.IsCanceled)
        {
            var e = orchestration.Exception?.InnerException ?? new TaskCanceledException("The orchestration was canceled.");
            result.Completion = OrchestrationRuntimeStatus.Failed;
            result.Failure = e is TaskFailedException tfe
                ? new TaskFailureDetails(typeof(TaskFailedException).FullName!, tfe.Message, tfe.StackTrace, tfe.FailureDetails)
                : TaskFailureDetails.FromException(e);
            result.Actions.Clear();
        }
        else if (context.ContinueAsNewInput is { } next)
        {
            result.Completion = OrchestrationRuntimeStatus.ContinuedAsNew;
            result.Output = next.Input;
            result.PreserveUnprocessedEvents = next.Preserve;
        }
        else
        {
            result.Completion = OrchestrationRuntimeStatus.Completed;
            result.Output = orchestration.Result;
        }
        return result;
    }

    private static Task<string?> Invoke(OrchestratorInvoker invoker, TaskOrchestrationContext context)
    {
        try
        {
            return invoker(context);
        }
        catch (Exception e)
        {
            return Task.FromException<string?>(e);
        }
    }

    /// <summary>Runs every continuation of orchestrator code on the executor's thread, in order.</summary>
    private sealed class OrchestrationSynchronizationContext : SynchronizationContext
    {
        private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();

        public override void Post(SendOrPostCallback d, object? state) => _queue.Enqueue((d, state));

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new InvalidOperationException("Orchestrator code cannot block on the orchestration thread.");

        public override SynchronizationContext CreateCopy() => this;

        public void Drain()
        {
            while (_queue.TryDequeue(out var item))
            {
                item.Callback(item.State);
            }
        }
    }
}

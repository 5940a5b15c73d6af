using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>What the worker knows of one instance between steps: its history and what follows from it.</summary>
internal sealed class InstanceState
{
    public HistorySnapshot Snapshot { get; private set; } = HistorySnapshot.Empty;

    public string? Name { get; private set; }

    public string? ExecutionId { get; private set; }

    public string? Input { get; private set; }

    public ParentInstance? Parent { get; private set; }

    public DateTime CreatedTime { get; private set; }

    public DateTime? ScheduledStartTime { get; private set; }

    public OrchestrationRuntimeStatus Status { get; private set; } = OrchestrationRuntimeStatus.Pending;

    public string? Output { get; private set; }

    public TaskFailureDetails? Failure { get; private set; }

    public DateTime? CompletedTime { get; private set; }

    public DateTime LastStepTime { get; private set; }

    public string? CustomStatus { get; set; }

    /// <summary>The custom status the Instances row holds (the orchestrator may change it in any step).</summary>
    public string? WrittenCustomStatus { get; set; }

    public HashSet<string> MessageIds { get; } = [];

    public HashSet<int> CompletedTasks { get; } = [];

    /// <summary>False after a reload: the Instances row may lag history and is rewritten at the next step.</summary>
    public bool RowInSync { get; set; }

    /// <summary>True from an append whose step changes the row until the row is written (a failed write is retried).</summary>
    public bool RowDirty { get; set; }

    public bool HasHistory => Snapshot.Events.Count > 0;

    public bool IsTerminal => Status.IsTerminal();

    public static InstanceState From(HistorySnapshot snapshot)
    {
        var state = new InstanceState();
        state.Reset(snapshot);
        return state;
    }

    /// <summary>Replaces the state with <paramref name="snapshot"/> (after an append or a new execution).</summary>
    public void Reset(HistorySnapshot snapshot)
    {
        Snapshot = snapshot;
        MessageIds.Clear();
        CompletedTasks.Clear();
        Status = OrchestrationRuntimeStatus.Pending;
        Output = null;
        Failure = null;
        CompletedTime = null;
        foreach (var e in snapshot.Events)
        {
            Apply(e);
        }
    }

    public void Appended(HistorySnapshot snapshot, IEnumerable<HistoryEvent> events)
    {
        Snapshot = snapshot;
        foreach (var e in events)
        {
            Apply(e);
        }
    }

    /// <summary>TaskScheduled events dispatched locally whose activity has not reported back.</summary>
    public IEnumerable<HistoryEvent> UnfinishedLocalTasks()
    {
        var redispatched = Snapshot.Events.Where(e => e.EventType == EventType.TaskRedispatched).Select(e => e.TaskScheduledId).ToHashSet();
        return Snapshot.Events.Where(e => e.EventType == EventType.TaskScheduled && e.DispatchedLocally
            && !CompletedTasks.Contains(e.EventId) && !redispatched.Contains(e.EventId));
    }

    private void Apply(HistoryEvent e)
    {
        if (e.MessageId is not null)
        {
            MessageIds.Add(e.MessageId);
        }
        switch (e.EventType)
        {
            case EventType.OrchestratorStarted:
                LastStepTime = e.Timestamp;
                break;
            case EventType.ExecutionStarted:
                MessageIds.UnionWith(e.CarriedMessageIds ?? []);
                Name = e.Name;
                ExecutionId = e.ExecutionId;
                Input = e.Input;
                Parent = e.Parent;
                CreatedTime = e.Timestamp;
                ScheduledStartTime = e.ScheduledStartTime;
                Status = OrchestrationRuntimeStatus.Running;
                break;
            case EventType.ExecutionCompleted:
                Status = e.OrchestrationStatus ?? OrchestrationRuntimeStatus.Completed;
                Output = e.Result;
                Failure = e.FailureDetails;
                CompletedTime = e.Timestamp;
                ExecutionId ??= e.ExecutionId;
                Name ??= e.Name;
                break;
            case EventType.ExecutionSuspended:
                Status = OrchestrationRuntimeStatus.Suspended;
                break;
            case EventType.ExecutionResumed:
                Status = OrchestrationRuntimeStatus.Running;
                break;
            case EventType.TaskCompleted or EventType.TaskFailed or EventType.TimerFired
                or EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed:
                CompletedTasks.Add(e.TaskScheduledId);
                break;
        }
    }

    public InstanceRecord ToRecord(string instanceId, DateTime now) => new()
    {
        InstanceId = instanceId,
        Name = Name ?? "",
        RuntimeStatus = Status,
        ExecutionId = ExecutionId,
        Input = Input,
        Output = Output,
        CustomStatus = CustomStatus,
        FailureDetails = Failure,
        CreatedTime = CreatedTime,
        LastUpdatedTime = now,
        CompletedTime = CompletedTime,
        ScheduledStartTime = ScheduledStartTime,
    };
}

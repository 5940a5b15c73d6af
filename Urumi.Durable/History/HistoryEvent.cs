using Urumi.Durable.Client;

namespace Urumi.Durable.History;

/// <summary>
/// One event of an orchestration's history. A single flat record (rather than one class per event type)
/// keeps storage rows, queue messages and the management API's history view the same shape.
/// </summary>
public sealed record HistoryEvent
{
    public required EventType EventType { get; init; }

    /// <summary>Sequence number of the action an event confirms (TaskScheduled, TimerCreated, ...); -1 otherwise.</summary>
    public int EventId { get; init; } = -1;

    public DateTime Timestamp { get; init; }

    /// <summary>Id of the queue message that delivered this event; used to drop duplicate deliveries.</summary>
    public string? MessageId { get; init; }

    /// <summary>Activity, orchestration, sub-orchestration or external-event name.</summary>
    public string? Name { get; init; }

    public string? Input { get; init; }

    public string? Result { get; init; }

    public TaskFailureDetails? FailureDetails { get; init; }

    /// <summary>For completions: the EventId of the TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated they answer.</summary>
    public int TaskScheduledId { get; init; } = -1;

    public DateTime? FireAt { get; init; }

    /// <summary>TaskCompleted / TaskFailed: when the activity began running (Timestamp is when it ended).</summary>
    public DateTime? StartedAt { get; init; }

    /// <summary>Target instance (EventSent, sub-orchestrations) or the instance an ExecutionStarted starts.</summary>
    public string? InstanceId { get; init; }

    public string? ExecutionId { get; init; }

    public ParentInstance? Parent { get; init; }

    public OrchestrationRuntimeStatus? OrchestrationStatus { get; init; }

    public DateTime? ScheduledStartTime { get; init; }

    /// <summary>TaskScheduled only: true when the activity runs in the owning worker instead of the work-item queue.</summary>
    public bool DispatchedLocally { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>
    /// ExecutionStarted of a ContinueAsNew: ids of the last messages the previous execution processed, so a late
    /// duplicate of one (a redelivery, or the queue copy of a message handed over in memory) is still dropped.
    /// </summary>
    public IReadOnlyList<string>? CarriedMessageIds { get; init; }
}

/// <summary>The orchestration that started a sub-orchestration, and the task id it waits on.</summary>
public sealed record ParentInstance(string Name, string InstanceId, string ExecutionId, int TaskScheduledId);

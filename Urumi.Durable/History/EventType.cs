namespace Urumi.Durable.History;

/// <summary>The kinds of events recorded in an orchestration's history (names as in DurableTask.Core).</summary>
public enum EventType
{
    ExecutionStarted,
    ExecutionCompleted,
    ExecutionFailed,
    ExecutionTerminated,
    TaskScheduled,
    TaskCompleted,
    TaskFailed,
    SubOrchestrationInstanceCreated,
    SubOrchestrationInstanceCompleted,
    SubOrchestrationInstanceFailed,
    TimerCreated,
    TimerFired,
    OrchestratorStarted,
    OrchestratorCompleted,
    EventSent,
    EventRaised,
    ContinueAsNew,
    ExecutionSuspended,
    ExecutionResumed,

    /// <summary>Urumi: an activity that was running in a lost process was handed to the work-item queue.</summary>
    TaskRedispatched,

    /// <summary>Urumi: a message was parked in the poison store; the instance fails with the reason.</summary>
    ExecutionPoisoned,
}

using DurableTask.Core.History;
using Newtonsoft.Json.Linq;

namespace Urumi.Hosting.Client;

/// <summary>
/// Reads the history that <c>IOrchestrationServiceClient.GetOrchestrationHistoryAsync</c> returns (a JSON array of
/// events without type names, <c>EventType</c> as a number) back into DurableTask.Core's typed events.
/// </summary>
internal static class HistoryJson
{
    public static IList<HistoryEvent> Parse(string json)
    {
        var events = new List<HistoryEvent>();
        foreach (var item in JArray.Parse(json).OfType<JObject>())
        {
            var eventType = (EventType)item.Value<int>(nameof(HistoryEvent.EventType));
            events.Add((HistoryEvent)item.ToObject(TypeOf(eventType))!);
        }
        return events;
    }

    private static Type TypeOf(EventType eventType) => eventType switch
    {
        EventType.ExecutionStarted => typeof(ExecutionStartedEvent),
        EventType.ExecutionCompleted => typeof(ExecutionCompletedEvent),
        EventType.ExecutionFailed => typeof(ExecutionCompletedEvent),
        EventType.ExecutionTerminated => typeof(ExecutionTerminatedEvent),
        EventType.ExecutionSuspended => typeof(ExecutionSuspendedEvent),
        EventType.ExecutionResumed => typeof(ExecutionResumedEvent),
        EventType.ExecutionRewound => typeof(ExecutionRewoundEvent),
        EventType.TaskScheduled => typeof(TaskScheduledEvent),
        EventType.TaskCompleted => typeof(TaskCompletedEvent),
        EventType.TaskFailed => typeof(TaskFailedEvent),
        EventType.SubOrchestrationInstanceCreated => typeof(SubOrchestrationInstanceCreatedEvent),
        EventType.SubOrchestrationInstanceCompleted => typeof(SubOrchestrationInstanceCompletedEvent),
        EventType.SubOrchestrationInstanceFailed => typeof(SubOrchestrationInstanceFailedEvent),
        EventType.TimerCreated => typeof(TimerCreatedEvent),
        EventType.TimerFired => typeof(TimerFiredEvent),
        EventType.OrchestratorStarted => typeof(OrchestratorStartedEvent),
        EventType.OrchestratorCompleted => typeof(OrchestratorCompletedEvent),
        EventType.EventSent => typeof(EventSentEvent),
        EventType.EventRaised => typeof(EventRaisedEvent),
        EventType.ContinueAsNew => typeof(ContinueAsNewEvent),
        EventType.GenericEvent => typeof(GenericEvent),
        EventType.HistoryState => typeof(HistoryStateEvent),
        _ => throw new InvalidOperationException($"Unknown history event type {(int)eventType}."),
    };

    /// <summary>Every sub-orchestration a history started.</summary>
    public static IEnumerable<string> SubOrchestrations(IEnumerable<HistoryEvent> history) =>
        history.OfType<SubOrchestrationInstanceCreatedEvent>().Select(c => c.InstanceId);
}

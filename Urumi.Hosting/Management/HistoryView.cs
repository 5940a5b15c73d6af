using DurableTask.Core.History;
using System.Text.Json.Nodes;

namespace Urumi.Hosting.Management;

/// <summary>
/// The history as Durable Functions' status API shows it: the orchestrator's own start/complete markers and the
/// scheduling events are left out, and each scheduling event is merged into the row of its completion.
/// </summary>
internal static class HistoryView
{
    public static JsonArray Build(IList<HistoryEvent> history, bool showInput, bool showOutput)
    {
        var scheduled = history.Where(e => e is TaskScheduledEvent or SubOrchestrationInstanceCreatedEvent)
            .GroupBy(e => e.EventId)
            .ToDictionary(g => g.Key, g => g.First());
        var rows = new JsonArray();
        foreach (var e in history)
        {
            if (e is OrchestratorStartedEvent or OrchestratorCompletedEvent
                or TaskScheduledEvent or SubOrchestrationInstanceCreatedEvent)
            {
                continue;
            }
            var row = new JsonObject
            {
                ["EventType"] = e.EventType.ToString(),
                ["Timestamp"] = StatusResponse.Timestamp(e.Timestamp),
            };
            Describe(row, e, scheduled, showInput, showOutput);
            rows.Add(row);
        }
        return rows;
    }

    private static void Describe(
        JsonObject row, HistoryEvent e, Dictionary<int, HistoryEvent> scheduled, bool showInput, bool showOutput)
    {
        switch (e)
        {
            case ExecutionStartedEvent started:
                row["FunctionName"] = started.Name;
                if (showInput)
                {
                    row["Input"] = StatusResponse.Parse(started.Input);
                }
                break;
            case ExecutionCompletedEvent completed:
                row["OrchestrationStatus"] = completed.OrchestrationStatus.ToString();
                if (showOutput)
                {
                    row["Result"] = StatusResponse.Parse(completed.Result);
                }
                if (completed.FailureDetails is { } failure)
                {
                    row["FailureDetails"] = StatusResponse.Failure(failure);
                }
                break;
            case TaskCompletedEvent done:
                Scheduling(row, done.TaskScheduledId, scheduled, showInput);
                Result(row, done.Result, showOutput);
                break;
            case SubOrchestrationInstanceCompletedEvent done:
                Scheduling(row, done.TaskScheduledId, scheduled, showInput);
                Result(row, done.Result, showOutput);
                break;
            case TaskFailedEvent failed:
                Scheduling(row, failed.TaskScheduledId, scheduled, showInput);
                row["Reason"] = failed.FailureDetails?.ErrorMessage ?? failed.Reason;
                row["Details"] = failed.FailureDetails?.ErrorType ?? failed.Details;
                break;
            case SubOrchestrationInstanceFailedEvent failed:
                Scheduling(row, failed.TaskScheduledId, scheduled, showInput);
                row["Reason"] = failed.FailureDetails?.ErrorMessage ?? failed.Reason;
                row["Details"] = failed.FailureDetails?.ErrorType ?? failed.Details;
                break;
            case TimerCreatedEvent timer:
                row["FireAt"] = StatusResponse.Timestamp(timer.FireAt);
                break;
            case TimerFiredEvent fired:
                row["FireAt"] = StatusResponse.Timestamp(fired.FireAt);
                row["TimerId"] = fired.TimerId;
                break;
            case EventRaisedEvent raised:
                row["Name"] = raised.Name;
                if (showOutput)
                {
                    row["Input"] = StatusResponse.Parse(raised.Input);
                }
                break;
            case EventSentEvent sent:
                row["Name"] = sent.Name;
                row["InstanceId"] = sent.InstanceId;
                if (showOutput)
                {
                    row["Input"] = StatusResponse.Parse(sent.Input);
                }
                break;
            case ExecutionTerminatedEvent terminated:
                row["Reason"] = StatusResponse.Parse(terminated.Input);
                break;
            case ExecutionSuspendedEvent suspended:
                row["Reason"] = suspended.Reason;
                break;
            case ExecutionResumedEvent resumed:
                row["Reason"] = resumed.Reason;
                break;
        }
    }

    private static void Scheduling(
        JsonObject row, int scheduledId, Dictionary<int, HistoryEvent> scheduled, bool showInput)
    {
        if (!scheduled.TryGetValue(scheduledId, out var s))
        {
            return;
        }
        row["ScheduledTime"] = StatusResponse.Timestamp(s.Timestamp);
        switch (s)
        {
            case TaskScheduledEvent task:
                row["FunctionName"] = task.Name;
                if (showInput)
                {
                    row["Input"] = StatusResponse.Parse(task.Input);
                }
                break;
            case SubOrchestrationInstanceCreatedEvent sub:
                row["FunctionName"] = sub.Name;
                row["InstanceId"] = sub.InstanceId;
                if (showInput)
                {
                    row["Input"] = StatusResponse.Parse(sub.Input);
                }
                break;
        }
    }

    private static void Result(JsonObject row, string? result, bool showOutput)
    {
        if (showOutput)
        {
            row["Result"] = StatusResponse.Parse(result);
        }
    }
}

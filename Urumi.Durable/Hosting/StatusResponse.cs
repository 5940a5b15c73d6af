using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Durable.Client;
using Urumi.Durable.History;

namespace Urumi.Durable.Hosting;

/// <summary>The status body of the management API (and its history view, as Durable Functions shows it).</summary>
internal static class StatusResponse
{
    public static JsonObject Build(OrchestrationMetadata m, IReadOnlyList<HistoryEvent>? history, bool showInput, bool showHistoryOutput)
    {
        var body = new JsonObject
        {
            ["name"] = m.Name,
            ["instanceId"] = m.InstanceId,
            ["runtimeStatus"] = m.RuntimeStatus.ToString(),
            ["input"] = showInput ? Parse(m.SerializedInput) : null,
            ["customStatus"] = Parse(m.SerializedCustomStatus),
            ["output"] = m.IsCompleted ? Parse(m.SerializedOutput) ?? FailureOutput(m) : null,
            ["createdTime"] = Time(m.CreatedAt.UtcDateTime),
            ["lastUpdatedTime"] = Time(m.LastUpdatedAt.UtcDateTime),
        };
        if (m.FailureDetails is { } f && m.RuntimeStatus == OrchestrationRuntimeStatus.Failed)
        {
            body["failureDetails"] = JsonSerializer.SerializeToNode(f, Serialization.JsonDataConverter.Options);
        }
        if (history is not null)
        {
            body["historyEvents"] = HistoryView(history, showInput, showHistoryOutput);
        }
        return body;
    }

    public static string Time(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonNode? FailureOutput(OrchestrationMetadata m) => m.FailureDetails?.ErrorMessage is { } message ? JsonValue.Create(message) : null;

    private static JsonArray HistoryView(IReadOnlyList<HistoryEvent> history, bool showInput, bool showOutput)
    {
        var scheduled = history.Where(e => e.EventType is EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated)
            .ToDictionary(e => e.EventId);
        var rows = new JsonArray();
        foreach (var e in history)
        {
            if (e.EventType is EventType.OrchestratorStarted or EventType.OrchestratorCompleted or EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated)
            {
                continue;
            }
            var row = new JsonObject { ["EventType"] = e.EventType.ToString(), ["Timestamp"] = e.Timestamp.ToString("o", System.Globalization.CultureInfo.InvariantCulture) };
            switch (e.EventType)
            {
                case EventType.ExecutionStarted:
                    row["FunctionName"] = e.Name;
                    if (showInput)
                    {
                        row["Input"] = Parse(e.Input);
                    }
                    break;
                case EventType.ExecutionCompleted:
                    row["OrchestrationStatus"] = e.OrchestrationStatus?.ToString();
                    if (showOutput)
                    {
                        row["Result"] = Parse(e.Result);
                    }
                    if (e.FailureDetails is { } failure)
                    {
                        row["FailureDetails"] = JsonSerializer.SerializeToNode(failure, Serialization.JsonDataConverter.Options);
                    }
                    break;
                case EventType.TaskCompleted or EventType.TaskFailed or EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed:
                    if (scheduled.TryGetValue(e.TaskScheduledId, out var s))
                    {
                        row["FunctionName"] = s.Name;
                        row["ScheduledTime"] = s.Timestamp.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                        if (s.InstanceId is not null)
                        {
                            row["InstanceId"] = s.InstanceId;
                        }
                        if (showInput)
                        {
                            row["Input"] = Parse(s.Input);
                        }
                    }
                    if (showOutput)
                    {
                        row["Result"] = Parse(e.Result);
                    }
                    if (e.FailureDetails is { } taskFailure)
                    {
                        row["Reason"] = taskFailure.ErrorMessage;
                        row["Details"] = taskFailure.ErrorType;
                    }
                    break;
                case EventType.TimerCreated or EventType.TimerFired:
                    row["FireAt"] = e.FireAt?.ToString("o", System.Globalization.CultureInfo.InvariantCulture);
                    if (e.EventType == EventType.TimerFired)
                    {
                        row["TimerId"] = e.TaskScheduledId;
                    }
                    break;
                case EventType.EventRaised or EventType.EventSent:
                    row["Name"] = e.Name;
                    if (e.InstanceId is not null)
                    {
                        row["InstanceId"] = e.InstanceId;
                    }
                    if (showOutput)
                    {
                        row["Input"] = Parse(e.Input);
                    }
                    break;
                case EventType.ExecutionTerminated or EventType.ExecutionSuspended or EventType.ExecutionResumed:
                    row["Reason"] = Parse(e.Input);
                    break;
                case EventType.ExecutionPoisoned:
                    row["Reason"] = e.Result;
                    break;
            }
            rows.Add(row);
        }
        return rows;
    }

    private static JsonNode? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}

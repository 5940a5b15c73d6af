using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Client;

namespace Urumi.Hosting.Management;

/// <summary>The status body of the management API, with the history view Durable Functions shows.</summary>
internal static class StatusResponse
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static JsonObject Build(
        OrchestrationMetadata m, IList<HistoryEvent>? history, bool showInput, bool showHistoryOutput)
    {
        var terminal = RuntimeStatuses.IsTerminal(m.RuntimeStatus);
        var body = new JsonObject
        {
            ["name"] = m.Name,
            ["instanceId"] = m.InstanceId,
            ["runtimeStatus"] = m.RuntimeStatus.ToString(),
            ["input"] = showInput ? Parse(m.SerializedInput) : null,
            ["customStatus"] = Parse(m.SerializedCustomStatus),
            ["output"] = terminal ? Output(m) : null,
            ["createdTime"] = Time(m.CreatedAt.UtcDateTime),
            ["lastUpdatedTime"] = Time(m.LastUpdatedAt.UtcDateTime),
        };
        if (m.RuntimeStatus == OrchestrationRuntimeStatus.Failed && m.FailureDetails is { } failure)
        {
            body["failureDetails"] = Failure(failure);
        }
        if (history is not null)
        {
            body["historyEvents"] = HistoryView.Build(history, showInput, showHistoryOutput);
        }
        return body;
    }

    public static string Time(DateTime t) =>
        DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Timestamp(DateTime t) =>
        DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture);

    /// <summary>A failed instance's output is its error message, as Durable Functions shows it.</summary>
    private static JsonNode? Output(OrchestrationMetadata m) =>
        m.RuntimeStatus == OrchestrationRuntimeStatus.Failed && m.FailureDetails is { } failure
            ? JsonValue.Create(failure.ErrorMessage)
            : Parse(m.SerializedOutput);

    public static JsonNode? Failure(TaskFailureDetails failure) => JsonSerializer.SerializeToNode(new
    {
        failure.ErrorType,
        failure.ErrorMessage,
        failure.StackTrace,
        InnerFailure = failure.InnerFailure is { } inner ? Failure(inner) : null,
    }, Web);

    public static JsonNode? Failure(DurableTask.Core.FailureDetails failure) => JsonSerializer.SerializeToNode(new
    {
        failure.ErrorType,
        failure.ErrorMessage,
        failure.StackTrace,
        InnerFailure = failure.InnerFailure is { } inner ? Failure(inner) : null,
    }, Web);

    /// <summary>Serialized JSON as a node; a value that is not JSON (an error text) as a string.</summary>
    public static JsonNode? Parse(string? json)
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

using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using DurableTask.Core;
using DurableTask.Core.History;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Audit;

/// <summary>
/// One entry of a store's audit timeline: the request (who, from where), each step (start, end, outcome,
/// error), events received (cancel, slot granted), and how the operation ended.
/// </summary>
public sealed record AuditEvent(
    string StoreId,
    string InstanceId,
    string Action,
    string Kind,
    string? Step,
    DateTimeOffset At,
    DateTimeOffset? EndedAt,
    string? Outcome,
    string? Error,
    string? RequestedBy,
    string? ClientIp);

/// <summary>Reads audit timelines from the orchestration histories: the histories are the record.</summary>
public sealed class AuditTrail(DurableTaskClient client)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The action an orchestration stands for: create (first provisioning), retry, delete.</summary>
    public static string ActionOf(string orchestrationName, string instanceId) => orchestrationName switch
    {
        nameof(ProvisionStore) => instanceId.EndsWith(".provision.1", StringComparison.Ordinal) ? "create" : "retry",
        nameof(DeleteStore) => "delete",
        _ => orchestrationName,
    };

    /// <summary>The timeline of one store: every orchestration of it (of its owner's only), oldest first.</summary>
    public async Task<List<AuditEvent>> ForStoreAsync(string storeId, string owner, CancellationToken ct)
    {
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = storeId + ".", FetchInputsAndOutputs = true }).WithCancellation(ct))
        {
            if (OwnerOf(instance) == owner)
            {
                instances.Add(instance);
            }
        }
        return await TimelineAsync(instances, ct);
    }

    /// <summary>Across stores, created in [from, to), for one store or action; only <paramref name="owner"/>'s unless null.</summary>
    public async Task<List<AuditEvent>> SearchAsync(DateTimeOffset? from, DateTimeOffset? to, string? storeId, string? action, string? owner, int limit, CancellationToken ct)
    {
        var instances = new List<OrchestrationMetadata>();
        var query = new OrchestrationQuery { CreatedFrom = from, CreatedTo = to, InstanceIdPrefix = storeId is null ? null : storeId + ".", FetchInputsAndOutputs = true, PageSize = 200 };
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct))
        {
            if (instance.Name is not (nameof(ProvisionStore) or nameof(DeleteStore))
                || action is not null && ActionOf(instance.Name, instance.InstanceId) != action
                || owner is not null && OwnerOf(instance) != owner)
            {
                continue;
            }
            instances.Add(instance);
            if (instances.Count >= limit)
            {
                break;
            }
        }
        return await TimelineAsync(instances, ct);
    }

    private async Task<List<AuditEvent>> TimelineAsync(List<OrchestrationMetadata> instances, CancellationToken ct)
    {
        var events = new List<AuditEvent>();
        foreach (var instance in instances.Where(i => i.Name is nameof(ProvisionStore) or nameof(DeleteStore)))
        {
            var history = await client.GetOrchestrationHistoryAsync(instance.InstanceId, ct);
            events.AddRange(FromHistory(instance, history));
        }
        return events.OrderBy(e => e.At).ThenBy(e => e.InstanceId, StringComparer.Ordinal).ToList();
    }

    private static string? OwnerOf(OrchestrationMetadata instance) =>
        instance.SerializedInput is null ? null : JsonDocument.Parse(instance.SerializedInput).RootElement.TryGetProperty("owner", out var o) ? o.GetString() : null;

    /// <summary>Turns one orchestration's history (DurableTask.Core's events, oldest first) into audit entries.</summary>
    public static IEnumerable<AuditEvent> FromHistory(OrchestrationMetadata instance, IEnumerable<HistoryEvent> history)
    {
        var storeId = Store.IdOfInstance(instance.InstanceId) ?? instance.InstanceId;
        var action = ActionOf(instance.Name, instance.InstanceId);
        string? who = null, ip = null;
        var scheduled = new Dictionary<int, TaskScheduledEvent>();
        foreach (var e in history)
        {
            var at = Utc(e.Timestamp);
            switch (e)
            {
                case ExecutionStartedEvent started:
                    (who, ip) = Requester(started.Input);
                    yield return new AuditEvent(storeId, instance.InstanceId, action, "requested", null, at, null, null, null, who, ip);
                    break;
                case TaskScheduledEvent task:
                    scheduled[task.EventId] = task;
                    break;
                case TaskCompletedEvent or TaskFailedEvent when Step(e, scheduled) is { } start:
                    var failure = (e as TaskFailedEvent)?.FailureDetails?.ErrorMessage ?? (e as TaskFailedEvent)?.Reason;
                    yield return new AuditEvent(storeId, instance.InstanceId, action, "step", start.Name, Utc(start.Timestamp), at,
                        e is TaskFailedEvent ? "failed" : "succeeded", failure, who, ip);
                    break;
                case EventRaisedEvent raised when raised.Name is ProvisionStore.CancelEvent or ProvisioningGate.GrantedEvent or ProvisionStore.StoppedEvent:
                    var (cancelWho, cancelIp) = raised.Name == ProvisionStore.CancelEvent ? CancelRequester(raised.Input) : (null, null);
                    yield return new AuditEvent(storeId, instance.InstanceId, action, raised.Name switch
                    {
                        ProvisionStore.CancelEvent => "cancel-requested",
                        ProvisioningGate.GrantedEvent => "slot-granted",
                        _ => "provisioning-stopped",
                    }, null, at, null, null, null, cancelWho ?? who, cancelIp ?? ip);
                    break;
                case ExecutionCompletedEvent or ExecutionTerminatedEvent:
                    var (outcome, reason) = Result(e);
                    yield return new AuditEvent(storeId, instance.InstanceId, action, "finished", null, at, null, outcome, reason, who, ip);
                    break;
            }
        }
    }

    /// <summary>The activity a completion answers, unless it is bookkeeping that the timeline leaves out.</summary>
    private static TaskScheduledEvent? Step(HistoryEvent e, Dictionary<int, TaskScheduledEvent> scheduled)
    {
        var id = e is TaskCompletedEvent c ? c.TaskScheduledId : ((TaskFailedEvent)e).TaskScheduledId;
        return scheduled.TryGetValue(id, out var start)
            && start.Name is not (nameof(StoreActivities.ApplyStoreEvent) or nameof(StoreActivities.ReportTimings) or nameof(StoreActivities.IsInstanceRunning))
            ? start : null;
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static (string? Who, string? Ip) Requester(string? input)
    {
        if (input is null)
        {
            return (null, null);
        }
        var root = JsonDocument.Parse(input).RootElement;
        return root.TryGetProperty("requestedBy", out var by) && by.ValueKind == JsonValueKind.Object
            ? (by.GetProperty("key").GetString(), by.GetProperty("ip").GetString())
            : (null, null);
    }

    private static (string? Who, string? Ip) CancelRequester(string? input) =>
        input is null ? (null, null) : JsonSerializer.Deserialize<CancelRequest>(input, Json) is { } c ? (c.RequestedBy.Key, c.RequestedBy.Ip) : (null, null);

    private static (string Outcome, string? Reason) Result(HistoryEvent e)
    {
        if (e is ExecutionTerminatedEvent terminated)
        {
            return ("Terminated", terminated.Input);
        }
        var completed = (ExecutionCompletedEvent)e;
        if (completed.OrchestrationStatus == OrchestrationStatus.Failed)
        {
            return ("Failed", completed.FailureDetails?.ErrorMessage ?? completed.Result);
        }
        if (completed.Result is null)
        {
            return ("Completed", null);
        }
        var root = JsonDocument.Parse(completed.Result).RootElement;
        return (root.TryGetProperty("outcome", out var o) ? o.GetString() ?? "Completed" : "Completed", root.TryGetProperty("reason", out var r) ? r.GetString() : null);
    }
}

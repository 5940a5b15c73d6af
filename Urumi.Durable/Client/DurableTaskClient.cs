using System.Runtime.CompilerServices;
using Urumi.Durable.History;
using Urumi.Durable.Serialization;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Client;

/// <summary>Starts, queries and controls orchestration instances of one task hub.</summary>
public class DurableTaskClient(ITaskHubStorage storage)
{
    private static readonly JsonDataConverter Json = JsonDataConverter.Default;

    public string TaskHubName => storage.TaskHubName;

    internal ITaskHubStorage Storage => storage;

    /// <summary>
    /// Starts an orchestration. Starting an id whose instance is not terminal throws
    /// <see cref="OrchestrationAlreadyExistsException"/>; a terminal instance is replaced by a new execution.
    /// </summary>
    public virtual async Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        var record = NewRecord(orchestratorName, input, options?.InstanceId, options?.StartAt?.UtcDateTime);
        var existing = await storage.TryCreateInstanceAsync(record, cancellation);
        if (existing is not null)
        {
            if (!existing.RuntimeStatus.IsTerminal() || !await storage.UpdateInstanceAsync(record with { ETag = existing.ETag }, cancellation))
            {
                throw new OrchestrationAlreadyExistsException(record.InstanceId, existing.RuntimeStatus);
            }
        }
        var delay = record.ScheduledStartTime is { } at ? at - record.CreatedTime : TimeSpan.Zero;
        // A restarted instance goes by queue: its old history would make a recovery repair the row back to the old
        // execution's status instead of re-sending the start.
        await SendStartAsync(storage, StartMessage(record), delay, mayStartHere: existing is null, cancellation);
        return record.InstanceId;
    }

    /// <summary>
    /// Sends a start. A brand-new instance due now starts in this process's worker when it owns the partition, with no
    /// queue message (its Pending row is the durable record: a recovery after a crash sends the start from it).
    /// </summary>
    internal static async Task SendStartAsync(ITaskHubStorage storage, TaskMessage start, TimeSpan delay, bool mayStartHere, CancellationToken cancellation)
    {
        if (mayStartHere && delay <= TimeSpan.Zero && Worker.LocalWorkers.TryStart(storage, start))
        {
            return;
        }
        await storage.SendControlMessageAsync(start, delay, cancellation);
    }

    /// <summary>
    /// Writes a new instance's Pending row without starting it, so that a caller can make other writes beside this one
    /// and then start the instance (<see cref="HeldOrchestration.StartAsync"/>) or drop it
    /// (<see cref="HeldOrchestration.DiscardAsync"/>). Nothing is sent: if this process dies before either, the worker
    /// that recovers the instance's partition starts it once <paramref name="hold"/> has passed, so the orchestration
    /// must be able to tell from its own records whether the caller meant it to run. The id must be new: any existing
    /// instance under it throws <see cref="OrchestrationAlreadyExistsException"/>.
    /// </summary>
    public virtual async Task<HeldOrchestration> HoldNewOrchestrationInstanceAsync(string orchestratorName, object? input, string instanceId, TimeSpan hold, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(hold, TimeSpan.Zero);
        var record = NewRecord(orchestratorName, input, instanceId, DateTime.UtcNow + hold);
        if (await storage.TryCreateInstanceAsync(record, cancellation) is { } existing)
        {
            throw new OrchestrationAlreadyExistsException(instanceId, existing.RuntimeStatus);
        }
        return new HeldOrchestration(storage, record);
    }

    private static InstanceRecord NewRecord(string orchestratorName, object? input, string? instanceId, DateTime? startAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName);
        instanceId ??= Guid.NewGuid().ToString("N");
        ValidateInstanceId(instanceId);
        var now = DateTime.UtcNow;
        return new InstanceRecord
        {
            InstanceId = instanceId,
            Name = orchestratorName,
            RuntimeStatus = OrchestrationRuntimeStatus.Pending,
            ExecutionId = Guid.NewGuid().ToString("N"),
            Input = Json.Serialize(input),
            CreatedTime = now,
            LastUpdatedTime = now,
            ScheduledStartTime = startAt,
        };
    }

    public Task<string> ScheduleNewOrchestrationInstanceAsync(string orchestratorName, object? input, CancellationToken cancellation) =>
        ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, null, cancellation);

    public virtual async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        (await storage.GetInstanceAsync(instanceId, cancellation))?.ToMetadata(getInputsAndOutputs);

    /// <summary>Instances matching <paramref name="query"/>, fetched page by page.</summary>
    public virtual async IAsyncEnumerable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? query = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        query ??= new OrchestrationQuery();
        var token = query.ContinuationToken;
        do
        {
            var page = await GetInstancesPageAsync(query with { ContinuationToken = token }, cancellation);
            foreach (var item in page.Values)
            {
                yield return item;
            }
            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    /// <summary>One page of instances matching <paramref name="query"/>; pass its token back for the next.</summary>
    public virtual async Task<Page<OrchestrationMetadata>> GetInstancesPageAsync(OrchestrationQuery query, CancellationToken cancellation = default)
    {
        var filter = new InstanceFilter(query.CreatedFrom?.UtcDateTime, query.CreatedTo?.UtcDateTime, query.Statuses, query.InstanceIdPrefix);
        var page = await storage.QueryInstancesAsync(filter, Math.Clamp(query.PageSize, 1, 1000), query.ContinuationToken, cancellation);
        return new Page<OrchestrationMetadata>(page.Values.Select(r => r.ToMetadata(query.FetchInputsAndOutputs)).ToList(), page.ContinuationToken);
    }

    /// <summary>Sends an event; it is buffered until the orchestration waits for it. Names are case-insensitive.</summary>
    public virtual Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return Send(instanceId, new HistoryEvent { EventType = EventType.EventRaised, Name = eventName, Input = Json.Serialize(eventPayload) }, cancellation);
    }

    public virtual Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellation = default) =>
        Send(instanceId, new HistoryEvent { EventType = EventType.ExecutionTerminated, Input = Json.Serialize(output) }, cancellation);

    public virtual Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        Send(instanceId, new HistoryEvent { EventType = EventType.ExecutionSuspended, Input = Json.Serialize(reason) }, cancellation);

    public virtual Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        Send(instanceId, new HistoryEvent { EventType = EventType.ExecutionResumed, Input = Json.Serialize(reason) }, cancellation);

    /// <summary>Deletes an instance's row, history and payloads.</summary>
    public virtual async Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellation = default) =>
        new(await storage.PurgeInstanceAsync(instanceId, cancellation) ? 1 : 0);

    /// <summary>Purges every instance matching <paramref name="filter"/>, 16 at a time.</summary>
    public virtual async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellation = default)
    {
        var query = new OrchestrationQuery { CreatedFrom = filter.CreatedFrom, CreatedTo = filter.CreatedTo, Statuses = filter.Statuses, PageSize = 500 };
        var ids = new List<string>();
        await foreach (var instance in GetAllInstancesAsync(query, cancellation))
        {
            ids.Add(instance.InstanceId);
        }
        var purged = 0;
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellation }, async (id, ct) =>
        {
            if (await storage.PurgeInstanceAsync(id, ct))
            {
                Interlocked.Increment(ref purged);
            }
        });
        return new PurgeResult(purged);
    }

    /// <summary>Starts an instance again with its original input, under the same id or a new one.</summary>
    public virtual async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        var row = await storage.GetInstanceAsync(instanceId, cancellation)
            ?? throw new ArgumentException($"No instance with id '{instanceId}' exists.", nameof(instanceId));
        var input = Json.Deserialize<System.Text.Json.JsonElement?>(row.Input);
        return await ScheduleNewOrchestrationInstanceAsync(row.Name, input, new StartOrchestrationOptions(restartWithNewInstanceId ? null : instanceId), cancellation);
    }

    public virtual Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public virtual Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        WaitForAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    /// <summary>The current execution's history, oldest event first.</summary>
    public virtual async Task<IReadOnlyList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default) =>
        (await storage.ReadHistoryAsync(instanceId, cancellation)).Events;

    /// <summary>Messages parked because they failed too often.</summary>
    public virtual Task<IReadOnlyList<PoisonMessage>> GetPoisonMessagesAsync(CancellationToken cancellation = default) =>
        storage.GetPoisonMessagesAsync(cancellation);

    internal static TaskMessage StartMessage(InstanceRecord record) => new(
        $"{record.InstanceId}|{record.ExecutionId}|start",
        record.InstanceId,
        record.ExecutionId,
        new HistoryEvent
        {
            EventType = EventType.ExecutionStarted,
            Name = record.Name,
            Input = record.Input,
            ExecutionId = record.ExecutionId,
            InstanceId = record.InstanceId,
            Timestamp = record.CreatedTime,
            ScheduledStartTime = record.ScheduledStartTime,
        });

    private async Task<OrchestrationMetadata> WaitForAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (await GetInstanceAsync(instanceId, getInputsAndOutputs, cancellation) is { } m && done(m))
            {
                return m;
            }
            await Task.Delay(delay, cancellation);
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 2));
        }
    }

    private Task Send(string instanceId, HistoryEvent e, CancellationToken cancellation) =>
        storage.SendControlMessageAsync(new TaskMessage(Guid.NewGuid().ToString("N"), instanceId, null, e with { Timestamp = DateTime.UtcNow }), TimeSpan.Zero, cancellation);

    private static void ValidateInstanceId(string instanceId)
    {
        if (instanceId.Length > 256 || instanceId.Any(char.IsControl) || string.IsNullOrWhiteSpace(instanceId))
        {
            throw new ArgumentException("An instance id must be 1-256 characters with no control characters.", nameof(instanceId));
        }
    }
}

using Urumi.Durable.Client;
using Urumi.Durable.History;

namespace Urumi.Durable.Storage;

/// <summary>
/// The storage a task hub lives in: control queues, the work-item queue, the History and Instances tables,
/// partition leases and the poison store. Implemented over Azure Storage and in memory; a SQL backend
/// would implement the same contract.
/// </summary>
public interface ITaskHubStorage : IAsyncDisposable
{
    string TaskHubName { get; }

    int PartitionCount { get; }

    StorageMetrics Metrics { get; }

    /// <summary>Raised after a message was sent by this process: (partition or -1 for the work-item queue, visible at).</summary>
    event Action<int, DateTime>? MessageSent;

    Task CreateIfNotExistsAsync(CancellationToken ct);

    Task DeleteTaskHubAsync(CancellationToken ct);

    int PartitionOf(string instanceId);

    Task SendControlMessageAsync(TaskMessage message, TimeSpan delay, CancellationToken ct);

    Task<IReadOnlyList<ReceivedMessage>> ReceiveControlMessagesAsync(int partition, int max, TimeSpan visibility, CancellationToken ct);

    Task SendWorkItemAsync(TaskMessage message, CancellationToken ct);

    Task<IReadOnlyList<ReceivedMessage>> ReceiveWorkItemsAsync(int max, TimeSpan visibility, CancellationToken ct);

    Task DeleteMessageAsync(ReceivedMessage message, CancellationToken ct);

    /// <summary>Makes a received message visible again after <paramref name="delay"/>.</summary>
    Task ReleaseMessageAsync(ReceivedMessage message, TimeSpan delay, CancellationToken ct);

    /// <summary>Keeps a received message invisible for another <paramref name="visibility"/>.</summary>
    Task RenewMessageAsync(ReceivedMessage message, TimeSpan visibility, CancellationToken ct);

    Task<HistorySnapshot> ReadHistoryAsync(string instanceId, CancellationToken ct);

    /// <summary>
    /// Appends events after <paramref name="basis"/>; with <paramref name="newExecution"/> they replace the current
    /// execution's events. <paramref name="unsent"/> replaces the instance's <see cref="HistorySnapshot.Unsent"/> in the
    /// same transaction. Throws <see cref="HistoryConflictException"/> when the history changed since it was read.
    /// </summary>
    Task<HistorySnapshot> AppendHistoryAsync(string instanceId, HistorySnapshot basis, IReadOnlyList<HistoryEvent> events, bool newExecution,
        IReadOnlyList<TaskMessage> unsent, CancellationToken ct);

    Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken ct);

    /// <summary>Creates the row if none exists; otherwise returns the existing row and writes nothing.</summary>
    Task<InstanceRecord?> TryCreateInstanceAsync(InstanceRecord record, CancellationToken ct);

    /// <summary>Replaces the row if its ETag still matches <paramref name="record"/>.ETag (or unconditionally when null).</summary>
    Task<bool> UpdateInstanceAsync(InstanceRecord record, CancellationToken ct);

    Task<Page<InstanceRecord>> QueryInstancesAsync(InstanceFilter filter, int pageSize, string? continuationToken, CancellationToken ct);

    /// <summary>Deletes the instance row, its history and its large payloads. False when there was no row.</summary>
    Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken ct);

    Task ParkPoisonMessageAsync(ReceivedMessage message, string reason, CancellationToken ct);

    Task<IReadOnlyList<PoisonMessage>> GetPoisonMessagesAsync(CancellationToken ct);

    IPartitionLeaseStore Leases { get; }
}

/// <summary>Ownership of control-queue partitions, shared by the workers of a task hub.</summary>
public interface IPartitionLeaseStore
{
    TimeSpan LeaseDuration { get; }

    Task<bool> TryAcquireAsync(int partition, string workerId, CancellationToken ct);

    Task<bool> RenewAsync(int partition, string workerId, CancellationToken ct);

    Task ReleaseAsync(int partition, string workerId, CancellationToken ct);

    /// <summary>Records that <paramref name="workerId"/> is alive and returns how many workers are.</summary>
    Task<int> HeartbeatAsync(string workerId, CancellationToken ct);

    Task RemoveWorkerAsync(string workerId, CancellationToken ct);
}

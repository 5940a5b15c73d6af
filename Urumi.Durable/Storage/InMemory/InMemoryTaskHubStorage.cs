using System.Collections.Concurrent;
using Urumi.Durable.Client;
using Urumi.Durable.History;

namespace Urumi.Durable.Storage.InMemory;

/// <summary>
/// A task hub in process memory: fast unit tests and single-process runs. Same semantics as the Azure backend
/// (visibility timeouts, dequeue counts, conditional history appends); nothing survives the process.
/// </summary>
public sealed class InMemoryTaskHubStorage(string taskHubName = "testhub", int partitionCount = 4, TimeProvider? time = null) : ITaskHubStorage
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly MemoryQueue[] _control = Enumerable.Range(0, partitionCount).Select(i => new MemoryQueue($"{taskHubName}-control-{i:00}")).ToArray();
    private readonly MemoryQueue _workItems = new($"{taskHubName}-workitems");
    private readonly ConcurrentDictionary<string, HistoryRows> _history = new();
    private readonly ConcurrentDictionary<string, InstanceRecord> _instances = new();
    private readonly ConcurrentQueue<PoisonMessage> _poison = new();
    private long _etag;

    public string TaskHubName { get; } = taskHubName;

    public int PartitionCount { get; } = partitionCount;

    public StorageMetrics Metrics { get; } = new();

    public event Action<int, DateTime>? MessageSent;

    public IPartitionLeaseStore Leases => _leases ??= new MemoryLeases(_time);

    private MemoryLeases? _leases;

    /// <summary>Fault injection at the storage boundary: return an exception to throw for a call, or null.</summary>
    public Func<string, string, Exception?>? Fault { get; set; }

    /// <summary>Messages on the control queues now, hidden ones included (for tests: what was never deleted).</summary>
    public int ControlMessageCount => _control.Sum(q => q.Count);

    public Task CreateIfNotExistsAsync(CancellationToken ct) => Task.CompletedTask;

    public Task DeleteTaskHubAsync(CancellationToken ct)
    {
        _history.Clear();
        _instances.Clear();
        return Task.CompletedTask;
    }

    public int PartitionOf(string instanceId) => PartitionHash.Of(instanceId, PartitionCount);

    public Task SendControlMessageAsync(TaskMessage message, TimeSpan delay, CancellationToken ct)
    {
        Inject(nameof(SendControlMessageAsync), message.InstanceId + "/" + message.Event.EventType);
        Metrics.QueueSend();
        var partition = PartitionOf(message.InstanceId);
        var visibleAt = Now + (delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        _control[partition].Send(message, visibleAt);
        MessageSent?.Invoke(partition, visibleAt);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ReceivedMessage>> ReceiveControlMessagesAsync(int partition, int max, TimeSpan visibility, CancellationToken ct)
    {
        Metrics.QueueReceive();
        return Task.FromResult(_control[partition].Receive(max, Now, visibility));
    }

    public Task SendWorkItemAsync(TaskMessage message, CancellationToken ct)
    {
        Inject(nameof(SendWorkItemAsync), message.InstanceId);
        Metrics.QueueSend();
        _workItems.Send(message, Now);
        MessageSent?.Invoke(-1, Now);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ReceivedMessage>> ReceiveWorkItemsAsync(int max, TimeSpan visibility, CancellationToken ct)
    {
        Metrics.QueueReceive();
        return Task.FromResult(_workItems.Receive(max, Now, visibility));
    }

    public Task DeleteMessageAsync(ReceivedMessage message, CancellationToken ct)
    {
        Metrics.QueueDelete();
        QueueOf(message).Delete(message);
        return Task.CompletedTask;
    }

    public Task ReleaseMessageAsync(ReceivedMessage message, TimeSpan delay, CancellationToken ct)
    {
        Metrics.QueueUpdate();
        QueueOf(message).SetVisibleAt(message, Now + delay);
        return Task.CompletedTask;
    }

    public Task RenewMessageAsync(ReceivedMessage message, TimeSpan visibility, CancellationToken ct) => ReleaseMessageAsync(message, visibility, ct);

    public Task<HistorySnapshot> ReadHistoryAsync(string instanceId, CancellationToken ct)
    {
        Inject(nameof(ReadHistoryAsync), instanceId);
        Metrics.TableRead();
        if (!_history.TryGetValue(instanceId, out var rows))
        {
            return Task.FromResult(HistorySnapshot.Empty);
        }
        lock (rows)
        {
            return Task.FromResult(rows.Snapshot());
        }
    }

    public Task<HistorySnapshot> AppendHistoryAsync(string instanceId, HistorySnapshot basis, IReadOnlyList<HistoryEvent> events, bool newExecution,
        IReadOnlyList<TaskMessage> unsent, CancellationToken ct)
    {
        Inject(nameof(AppendHistoryAsync), instanceId);
        Metrics.TableBatch();
        var rows = _history.GetOrAdd(instanceId, _ => new HistoryRows());
        lock (rows)
        {
            if (rows.ETag != basis.ETag)
            {
                throw new HistoryConflictException(instanceId);
            }
            if (newExecution)
            {
                rows.ExecutionStart = rows.Events.Count;
            }
            rows.Events.AddRange(events);
            rows.Unsent = [.. unsent];
            rows.ETag = Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.FromResult(rows.Snapshot());
        }
    }

    public Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken ct)
    {
        Metrics.TableRead();
        return Task.FromResult(_instances.TryGetValue(instanceId, out var r) ? r : null);
    }

    public Task<InstanceRecord?> TryCreateInstanceAsync(InstanceRecord record, CancellationToken ct)
    {
        Inject(nameof(TryCreateInstanceAsync), record.InstanceId);
        Metrics.TableWrite();
        var created = record with { ETag = NextETag() };
        var existing = _instances.GetOrAdd(record.InstanceId, created);
        return Task.FromResult(ReferenceEquals(existing, created) ? null : existing);
    }

    public Task<bool> UpdateInstanceAsync(InstanceRecord record, CancellationToken ct)
    {
        Inject(nameof(UpdateInstanceAsync), record.InstanceId);
        Metrics.TableWrite();
        var updated = record with { ETag = NextETag() };
        if (record.ETag is null)
        {
            _instances[record.InstanceId] = updated;
            return Task.FromResult(true);
        }
        return Task.FromResult(_instances.TryGetValue(record.InstanceId, out var current)
            && current.ETag == record.ETag
            && _instances.TryUpdate(record.InstanceId, updated, current));
    }

    public Task<Page<InstanceRecord>> QueryInstancesAsync(InstanceFilter filter, int pageSize, string? continuationToken, CancellationToken ct)
    {
        Metrics.TableRead();
        var after = continuationToken ?? "";
        var page = _instances.Values
            .Where(r => string.CompareOrdinal(r.InstanceId, after) > 0 && filter.Matches(r))
            .OrderBy(r => r.InstanceId, StringComparer.Ordinal)
            .Take(pageSize + 1)
            .ToList();
        var next = page.Count > pageSize ? page[pageSize - 1].InstanceId : null;
        return Task.FromResult(new Page<InstanceRecord>(page.Take(pageSize).ToList(), next));
    }

    public Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken ct)
    {
        Metrics.TableWrite();
        _history.TryRemove(instanceId, out _);
        return Task.FromResult(_instances.TryRemove(instanceId, out _));
    }

    public Task ParkPoisonMessageAsync(ReceivedMessage message, string reason, CancellationToken ct)
    {
        Metrics.TableWrite();
        _poison.Enqueue(new PoisonMessage(message.Queue, message.Message, message.DequeueCount, reason, Now));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PoisonMessage>> GetPoisonMessagesAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<PoisonMessage>>(_poison.ToArray());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    private string NextETag() => Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private MemoryQueue QueueOf(ReceivedMessage m) => m.Queue == _workItems.Name ? _workItems : _control.First(q => q.Name == m.Queue);

    private void Inject(string operation, string target)
    {
        if (Fault?.Invoke(operation, target) is { } e)
        {
            throw e;
        }
    }

    private sealed class HistoryRows
    {
        public List<HistoryEvent> Events { get; } = [];

        public int ExecutionStart { get; set; }

        public string? ETag { get; set; }

        public List<TaskMessage> Unsent { get; set; } = [];

        public HistorySnapshot Snapshot() => new(Events.Skip(ExecutionStart).ToList(), ETag, ExecutionStart, Events.Count) { Unsent = [.. Unsent] };
    }

    private sealed class MemoryQueue(string name)
    {
        private readonly List<Entry> _entries = [];

        public string Name { get; } = name;

        public int Count
        {
            get
            {
                lock (_entries)
                {
                    return _entries.Count;
                }
            }
        }

        public void Send(TaskMessage message, DateTime visibleAt)
        {
            lock (_entries)
            {
                _entries.Add(new Entry(message) { VisibleAt = visibleAt });
            }
        }

        public IReadOnlyList<ReceivedMessage> Receive(int max, DateTime now, TimeSpan visibility)
        {
            lock (_entries)
            {
                var result = new List<ReceivedMessage>();
                foreach (var e in _entries.Where(e => e.VisibleAt <= now).Take(max))
                {
                    e.DequeueCount++;
                    e.VisibleAt = now + visibility;
                    e.Receipt = new object();
                    result.Add(new ReceivedMessage(e.Message, e.DequeueCount, (e, e.Receipt), Name));
                }
                return result;
            }
        }

        public void Delete(ReceivedMessage m)
        {
            lock (_entries)
            {
                if (m.Receipt is (Entry entry, object receipt) && entry.Receipt == receipt)
                {
                    _entries.Remove(entry);
                }
            }
        }

        public void SetVisibleAt(ReceivedMessage m, DateTime visibleAt)
        {
            lock (_entries)
            {
                if (m.Receipt is (Entry entry, object receipt) && entry.Receipt == receipt)
                {
                    entry.VisibleAt = visibleAt;
                }
            }
        }

        private sealed class Entry(TaskMessage message)
        {
            public TaskMessage Message { get; } = message;

            public DateTime VisibleAt { get; set; }

            public int DequeueCount { get; set; }

            public object? Receipt { get; set; }
        }
    }

    private sealed class MemoryLeases(TimeProvider time) : IPartitionLeaseStore
    {
        private readonly Dictionary<int, (string Owner, DateTime Expires)> _leases = [];
        private readonly Dictionary<string, DateTime> _workers = [];

        public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

        private DateTime Now => time.GetUtcNow().UtcDateTime;

        public Task<bool> TryAcquireAsync(int partition, string workerId, CancellationToken ct)
        {
            lock (_leases)
            {
                if (_leases.TryGetValue(partition, out var lease) && lease.Owner != workerId && lease.Expires > Now)
                {
                    return Task.FromResult(false);
                }
                _leases[partition] = (workerId, Now + LeaseDuration);
                return Task.FromResult(true);
            }
        }

        public Task<bool> RenewAsync(int partition, string workerId, CancellationToken ct)
        {
            lock (_leases)
            {
                if (_leases.TryGetValue(partition, out var lease) && lease.Owner == workerId)
                {
                    _leases[partition] = (workerId, Now + LeaseDuration);
                    return Task.FromResult(true);
                }
                return Task.FromResult(false);
            }
        }

        public Task ReleaseAsync(int partition, string workerId, CancellationToken ct)
        {
            lock (_leases)
            {
                if (_leases.TryGetValue(partition, out var lease) && lease.Owner == workerId)
                {
                    _leases.Remove(partition);
                }
            }
            return Task.CompletedTask;
        }

        public Task<int> HeartbeatAsync(string workerId, CancellationToken ct)
        {
            lock (_workers)
            {
                _workers[workerId] = Now;
                return Task.FromResult(_workers.Count(w => w.Value > Now - LeaseDuration));
            }
        }

        public Task RemoveWorkerAsync(string workerId, CancellationToken ct)
        {
            lock (_workers)
            {
                _workers.Remove(workerId);
            }
            return Task.CompletedTask;
        }
    }
}

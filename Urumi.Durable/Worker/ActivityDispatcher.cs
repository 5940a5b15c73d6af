using System.Diagnostics;
using Urumi.Durable.History;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>
/// Runs activities: those this worker's orchestrations scheduled locally (no queue round trip; history is the
/// durable record, and a lost worker's are recovered from it), and those on the shared work-item queue.
/// </summary>
internal sealed class ActivityDispatcher(DurableWorker worker)
{
    private readonly SemaphoreSlim _slots = new(worker.Options.MaxConcurrentActivityFunctions);
    private readonly PollingBackoff _polling = new(worker.Options.MaxQueuePollingInterval);
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _running = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _localInFlight = new();
    private int _localBacklog;
    private Task _loop = Task.CompletedTask;

    private ITaskHubStorage Storage => worker.Storage;

    public void Start() => _loop = Task.Run(QueueLoopAsync);

    public async Task StopAsync(TimeSpan grace)
    {
        await _cts.CancelAsync();
        await _loop;
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(grace));
    }

    public void Wake() => _polling.Wake();

    /// <summary>Claims a place for a local activity; false when this worker is busy enough to use the queue instead.</summary>
    public bool TryReserveLocal()
    {
        if (!worker.Options.LocalActivityDispatch)
        {
            return false;
        }
        if (Interlocked.Increment(ref _localBacklog) > worker.Options.MaxConcurrentActivityFunctions * 2)
        {
            Interlocked.Decrement(ref _localBacklog);
            return false;
        }
        return true;
    }

    public void CancelReservations(int count) => Interlocked.Add(ref _localBacklog, -count);

    /// <summary>True while this worker runs the local activity of work item <paramref name="messageId"/>.</summary>
    public bool IsRunningLocally(string messageId) => _localInFlight.ContainsKey(messageId);

    public void RunLocal(TaskMessage item)
    {
        _localInFlight[item.Id] = 0;
        Track(() => RunLocalAsync(item));
    }

    private async Task RunLocalAsync(TaskMessage item)
    {
        try
        {
            await _slots.WaitAsync(_cts.Token);
            try
            {
                var completion = await ExecuteAsync(item, _cts.Token);
                FailPoints.Hit("activity.beforeComplete");
                await worker.DeliverAsync(completion, _cts.Token);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            // Shutting down: the partition's next owner re-runs it from history.
        }
        catch (Exception e)
        {
            worker.Logger.LoopFailed(e, "local-activity");
        }
        finally
        {
            Interlocked.Decrement(ref _localBacklog);
            _localInFlight.TryRemove(item.Id, out _);
        }
    }

    private async Task QueueLoopAsync()
    {
        var ct = _cts.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(ct);
                var slots = 1;
                while (slots < 32 && _slots.Wait(0))
                {
                    slots++;
                }
                IReadOnlyList<ReceivedMessage> items = [];
                try
                {
                    items = await Storage.ReceiveWorkItemsAsync(slots, worker.Options.WorkItemQueueVisibilityTimeout, ct);
                }
                finally
                {
                    // Slots no received item needs go back now; each item gives its own back when it is done.
                    if (slots > items.Count)
                    {
                        _slots.Release(slots - items.Count);
                    }
                }
                foreach (var item in items)
                {
                    Track(() => ProcessWorkItemAsync(item, ct));
                }
                if (items.Count > 0)
                {
                    _polling.Reset();
                    if (items.Count == slots)
                    {
                        continue;
                    }
                }
                await _polling.IdleAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                worker.Logger.LoopFailed(e, "work-items");
                try
                {
                    await Task.Delay(worker.Options.MaxQueuePollingInterval, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ProcessWorkItemAsync(ReceivedMessage received, CancellationToken ct)
    {
        try
        {
            var item = received.Message;
            if (received.DequeueCount > worker.Options.MaxDequeueCount)
            {
                var reason = $"Activity '{item.Event.Name}' (task #{item.Event.EventId}) of instance '{item.InstanceId}' was delivered {received.DequeueCount} times "
                    + $"without completing (limit {worker.Options.MaxDequeueCount}); its work item was parked in the poison store.";
                await Storage.ParkPoisonMessageAsync(received, reason, ct);
                var poisoned = new HistoryEvent { EventType = EventType.ExecutionPoisoned, Timestamp = DateTime.UtcNow, Result = reason };
                await Storage.SendControlMessageAsync(new TaskMessage(DeterministicId.Message(item.InstanceId, item.ExecutionId, "poison", item.Event.EventId), item.InstanceId, item.ExecutionId, poisoned), TimeSpan.Zero, ct);
                await Storage.DeleteMessageAsync(received, ct);
                worker.Logger.WorkItemPoisoned(item.Id, item.InstanceId, reason);
                return;
            }
            using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var renewing = RenewWhileRunningAsync(received, renewal.Token);
            TaskMessage completion;
            try
            {
                completion = await ExecuteAsync(item, ct);
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing;
            }
            FailPoints.Hit("activity.beforeComplete");
            try
            {
                await Storage.SendControlMessageAsync(completion, TimeSpan.Zero, ct);
                await Storage.DeleteMessageAsync(received, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                worker.Logger.LoopFailed(e, "work-item-complete");
                await Storage.ReleaseMessageAsync(received, TimeSpan.FromSeconds(Math.Min(30, received.DequeueCount)), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: hand the work item back at once rather than when its visibility ends.
            await Storage.ReleaseMessageAsync(received, TimeSpan.Zero, CancellationToken.None);
        }
        catch (Exception e)
        {
            worker.Logger.LoopFailed(e, "work-item");
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task RenewWhileRunningAsync(ReceivedMessage received, CancellationToken ct)
    {
        var visibility = worker.Options.WorkItemQueueVisibilityTimeout;
        try
        {
            while (true)
            {
                await Task.Delay(visibility / 2, ct);
                await Storage.RenewMessageAsync(received, visibility, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            worker.Logger.LoopFailed(e, "work-item-renewal");
        }
    }

    private async Task<TaskMessage> ExecuteAsync(TaskMessage item, CancellationToken ct)
    {
        var scheduled = item.Event;
        var name = scheduled.Name ?? "";
        var watch = Stopwatch.StartNew();
        var startedAt = DateTime.UtcNow;
        HistoryEvent outcome;
        try
        {
            var invoker = worker.Registry.GetActivity(name)
                ?? throw new InvalidOperationException($"No activity function named '{name}' is registered in this app.");
            var result = await invoker(scheduled.Input, new FunctionContext(name, worker.Services, item.InstanceId), ct);
            outcome = new HistoryEvent { EventType = EventType.TaskCompleted, TaskScheduledId = scheduled.EventId, Result = result, StartedAt = startedAt, Timestamp = DateTime.UtcNow };
            worker.Logger.ActivityFinished(name, item.InstanceId, "succeeded", watch.ElapsedMilliseconds);
        }
        catch (Exception e) when (!ct.IsCancellationRequested || e is not OperationCanceledException)
        {
            outcome = new HistoryEvent { EventType = EventType.TaskFailed, TaskScheduledId = scheduled.EventId, FailureDetails = TaskFailureDetails.FromException(e), StartedAt = startedAt, Timestamp = DateTime.UtcNow };
            worker.Logger.ActivityFinished(name, item.InstanceId, "failed: " + e.Message, watch.ElapsedMilliseconds);
        }
        return new TaskMessage(DeterministicId.Message(item.InstanceId, item.ExecutionId, "taskdone", scheduled.EventId), item.InstanceId, item.ExecutionId, outcome);
    }

    private void Track(Func<Task> work)
    {
        var task = Task.Run(work);
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }
}

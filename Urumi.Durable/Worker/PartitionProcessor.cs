using System.Collections.Concurrent;
using Urumi.Durable.Client;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>
/// Everything one worker does for one control-queue partition it holds the lease of: receive messages, hand them
/// to the sessions of their instances, and recover instances a lost worker left behind.
/// </summary>
internal sealed class PartitionProcessor(DurableWorker worker, int partition)
{
    private const int MaxCachedSessions = 5000;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<string, InstanceSession> _sessions = new();
    private readonly PollingBackoff _polling = new(worker.Options.MaxQueuePollingInterval);
    private Task _loop = Task.CompletedTask;
    private Task _recovery = Task.CompletedTask;

    public DurableWorker Worker { get; } = worker;

    public int Partition { get; } = partition;

    public CancellationToken Stopping => _cts.Token;

    public void Start()
    {
        _loop = Task.Run(ReceiveLoopAsync);
        _recovery = Task.Run(RecoverAllAsync);
    }

    /// <summary>Done when the instances left unfinished on this partition have been handed to their sessions.</summary>
    public Task Recovered => _recovery;

    public async Task StopAsync()
    {
        await _cts.CancelAsync();
        await _loop;
        foreach (var session in _sessions.Values)
        {
            session.Abandon();
        }
        _sessions.Clear();
    }

    public void Wake() => _polling.Wake();

    public void DeliverLocal(TaskMessage message) => DeliverLocal(new ReceivedMessage(message, 1, null, "local"));

    public void DeliverLocal(ReceivedMessage message) => Session(message.Message.InstanceId).Enqueue([message]);

    public async Task ReleaseAsync(IEnumerable<ReceivedMessage> messages)
    {
        foreach (var m in messages.Where(m => m.Receipt is not null))
        {
            try
            {
                await Worker.Storage.ReleaseMessageAsync(m, TimeSpan.Zero, CancellationToken.None);
            }
            catch (Exception e) when (TransientErrors.IsTransient(e) || e is Azure.RequestFailedException)
            {
                // It becomes visible again when its visibility timeout ends.
            }
        }
    }

    private InstanceSession Session(string instanceId) => _sessions.GetOrAdd(instanceId, id => new InstanceSession(id, this));

    private async Task ReceiveLoopAsync()
    {
        var ct = _cts.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var messages = await Worker.Storage.ReceiveControlMessagesAsync(
                    Partition, Worker.Options.ControlQueueBatchSize, Worker.Options.ControlQueueVisibilityTimeout, ct);
                foreach (var group in messages.GroupBy(m => m.Message.InstanceId))
                {
                    Session(group.Key).Enqueue(group);
                }
                if (messages.Count >= Worker.Options.ControlQueueBatchSize)
                {
                    // A full batch: more are probably waiting.
                    _polling.Reset();
                    continue;
                }
                if (messages.Count > 0)
                {
                    // The queue is drained: polling again at once would only load storage (receives are its most
                    // expensive request and would delay everyone's sends). Messages this process sends wake us.
                    _polling.Reset();
                }
                else
                {
                    EvictIdleSessions();
                }
                await _polling.IdleAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Worker.Logger.LoopFailed(e, $"control-{Partition:00}");
                await Delay(Worker.Options.MaxQueuePollingInterval, ct);
            }
        }
    }

    private async Task RecoverAllAsync()
    {
        var ct = _cts.Token;
        var filter = new InstanceFilter(Statuses: [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended]);
        for (var attempt = 0; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                string? token = null;
                do
                {
                    var page = await Worker.Storage.QueryInstancesAsync(filter, 500, token, ct);
                    foreach (var row in page.Values.Where(r => Worker.Storage.PartitionOf(r.InstanceId) == Partition))
                    {
                        Session(row.InstanceId).RequestRecovery();
                    }
                    token = page.ContinuationToken;
                }
                while (token is not null);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Worker.Logger.LoopFailed(e, $"recover-{Partition:00}");
                await Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt, 5))), ct);
            }
        }
    }

    private void EvictIdleSessions()
    {
        var evictAll = _sessions.Count > MaxCachedSessions;
        foreach (var (id, session) in _sessions)
        {
            if (session.IsTerminalAndIdle || (evictAll && session.IsIdle))
            {
                _sessions.TryRemove(new KeyValuePair<string, InstanceSession>(id, session));
            }
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

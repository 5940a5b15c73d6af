using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>
/// The durable worker of one process: holds leases on a fair share of the task hub's partitions (rebalanced as
/// workers come and go), runs their orchestrations and runs activities.
/// </summary>
public sealed class DurableWorker : IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, PartitionProcessor> _owned = new();
    private readonly CancellationTokenSource _cts = new();
    private Task _leaseLoop = Task.CompletedTask;

    public DurableWorker(ITaskHubStorage storage, FunctionRegistry registry, IOptions<DurableTaskOptions> options, ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Storage = storage;
        Registry = registry;
        Options = options.Value;
        LoggerFactory = loggerFactory;
        Services = services;
        Logger = loggerFactory.CreateLogger("Urumi.Durable.Worker");
        OrchestratorSlots = new StepSlots(Options.MaxConcurrentOrchestratorFunctions);
        ActivityDispatcher = new ActivityDispatcher(this);
    }

    public string WorkerId => Options.WorkerId;

    /// <summary>Raised in this process after an instance this worker runs reached a terminal state.</summary>
    public event Action<string, Client.OrchestrationRuntimeStatus>? InstanceCompleted;

    /// <summary>Steps held back by <see cref="DurableTaskOptions.EmptyStepWindow"/> so far.</summary>
    internal int DeferredSteps;

    internal void OnInstanceCompleted(string instanceId, Client.OrchestrationRuntimeStatus status) => InstanceCompleted?.Invoke(instanceId, status);

    public IReadOnlyCollection<int> OwnedPartitions => [.. _owned.Keys.Order()];

    internal ITaskHubStorage Storage { get; }

    internal FunctionRegistry Registry { get; }

    internal DurableTaskOptions Options { get; }

    internal ILoggerFactory LoggerFactory { get; }

    internal IServiceProvider Services { get; }

    internal ILogger Logger { get; }

    internal StepSlots OrchestratorSlots { get; }

    internal ActivityDispatcher ActivityDispatcher { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Storage.CreateIfNotExistsAsync(cancellationToken);
        Storage.MessageSent += OnMessageSent;
        LocalWorkers.Add(Storage, this);
        ActivityDispatcher.Start();
        await BalanceAsync(cancellationToken);
        _leaseLoop = Task.Run(LeaseLoopAsync, CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_cts.IsCancellationRequested)
        {
            return;
        }
        await _cts.CancelAsync();
        Storage.MessageSent -= OnMessageSent;
        LocalWorkers.Remove(Storage, this);
        await _leaseLoop;
        await ActivityDispatcher.StopAsync(TimeSpan.FromSeconds(5));
        foreach (var partition in _owned.Keys)
        {
            await ReleasePartitionAsync(partition, "shutting down");
        }
        try
        {
            await Storage.Leases.RemoveWorkerAsync(WorkerId, cancellationToken);
        }
        catch (Exception e) when (TransientErrors.IsTransient(e))
        {
            // Its heartbeat ages out on its own.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _cts.Dispose();
    }

    /// <summary>Hands an activity's outcome to its orchestration: in memory when this worker owns it, else by queue.</summary>
    internal async Task DeliverAsync(TaskMessage message, CancellationToken ct)
    {
        if (LocalPartitionOf(message.InstanceId) is { } processor)
        {
            processor.DeliverLocal(message);
            return;
        }
        await Storage.SendControlMessageAsync(message, TimeSpan.Zero, ct);
    }

    /// <summary>True when a message to <paramref name="instanceId"/> can be handed over in memory (see LocalEventDelivery).</summary>
    internal bool CanHandOver(string instanceId) =>
        Options.LocalEventDelivery && !_cts.IsCancellationRequested && LocalPartitionOf(instanceId) is not null;

    /// <summary>
    /// Hands a message to its receiver's session in memory; true once the receiver recorded (or dropped) it, false when
    /// the receiver's partition is not here or let it go (the caller then sends it by queue).
    /// </summary>
    internal async Task<bool> HandOverAsync(TaskMessage message)
    {
        if (!Options.LocalEventDelivery || _cts.IsCancellationRequested || LocalPartitionOf(message.InstanceId) is not { } processor)
        {
            return false;
        }
        var settled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        processor.DeliverLocal(new ReceivedMessage(message, 1, null, "local") { Settled = settled });
        return await settled.Task;
    }

    /// <summary>The running processor of the instance's partition when this worker owns it, else null.</summary>
    private PartitionProcessor? LocalPartitionOf(string instanceId) =>
        _owned.TryGetValue(Storage.PartitionOf(instanceId), out var processor) && !processor.Stopping.IsCancellationRequested ? processor : null;

    /// <summary>Done when every partition this worker owns has looked for the unfinished instances it must recover.</summary>
    internal Task RecoveredAsync() => Task.WhenAll(_owned.Values.Select(p => p.Recovered));

    /// <summary>Starts a new instance in this worker when it owns the instance's partition (see LocalStartDelivery).</summary>
    internal bool TryStartLocally(TaskMessage start)
    {
        if (!Options.LocalStartDelivery || _cts.IsCancellationRequested || LocalPartitionOf(start.InstanceId) is not { } processor)
        {
            return false;
        }
        FailPoints.Hit("client.beforeLocalStart");
        processor.DeliverLocal(start);
        return true;
    }

    private void OnMessageSent(int partition, DateTime visibleAt)
    {
        Action wake = partition < 0
            ? ActivityDispatcher.Wake
            : () =>
            {
                if (_owned.TryGetValue(partition, out var p))
                {
                    p.Wake();
                }
            };
        var delay = visibleAt - DateTime.UtcNow;
        if (delay <= TimeSpan.Zero)
        {
            wake();
            return;
        }
        if (delay < TimeSpan.FromDays(1))
        {
            _ = Task.Delay(delay, _cts.Token).ContinueWith(_ => wake(), TaskContinuationOptions.OnlyOnRanToCompletion);
        }
    }

    private async Task LeaseLoopAsync()
    {
        var ct = _cts.Token;
        var interval = Storage.Leases.LeaseDuration / 3;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct);
                await BalanceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Logger.LoopFailed(e, "leases");
            }
        }
    }

    /// <summary>Renews held leases, then takes or gives partitions until this worker holds its fair share.</summary>
    private async Task BalanceAsync(CancellationToken ct)
    {
        var leases = Storage.Leases;
        var alive = Math.Max(1, await leases.HeartbeatAsync(WorkerId, ct));
        var target = (Storage.PartitionCount + alive - 1) / alive;
        foreach (var partition in _owned.Keys)
        {
            if (!await leases.RenewAsync(partition, WorkerId, ct))
            {
                await StopPartitionAsync(partition, "lease lost");
            }
        }
        foreach (var partition in _owned.Keys.OrderDescending().Take(Math.Max(0, _owned.Count - target)))
        {
            await ReleasePartitionAsync(partition, "rebalancing");
        }
        var start = PartitionHash.Of(WorkerId, Storage.PartitionCount);
        for (var i = 0; i < Storage.PartitionCount && _owned.Count < target; i++)
        {
            var partition = (start + i) % Storage.PartitionCount;
            if (!_owned.ContainsKey(partition) && await leases.TryAcquireAsync(partition, WorkerId, ct))
            {
                var processor = new PartitionProcessor(this, partition);
                _owned[partition] = processor;
                processor.Start();
                Logger.PartitionAcquired(WorkerId, partition);
            }
        }
    }

    private async Task StopPartitionAsync(int partition, string why)
    {
        if (_owned.TryRemove(partition, out var processor))
        {
            await processor.StopAsync();
            Logger.PartitionReleased(WorkerId, partition, why);
        }
    }

    private async Task ReleasePartitionAsync(int partition, string why)
    {
        await StopPartitionAsync(partition, why);
        try
        {
            await Storage.Leases.ReleaseAsync(partition, WorkerId, CancellationToken.None);
        }
        catch (Exception e) when (TransientErrors.IsTransient(e) || e is Azure.RequestFailedException)
        {
            // The lease expires on its own.
        }
    }
}

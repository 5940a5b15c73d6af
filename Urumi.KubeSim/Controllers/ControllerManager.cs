using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>Runs the simulated controllers: one loop turns watch events into work, one loop does the work in order.</summary>
public sealed class ControllerManager : IAsyncDisposable
{
    private readonly Cluster _cluster;
    private readonly WorkQueue _queue;
    private readonly Dictionary<string, Controller> _controllers;
    private readonly CancellationTokenSource _stop = new();
    private Watcher? _watcher;
    private Task _events = Task.CompletedTask;
    private Task _work = Task.CompletedTask;

    public ControllerManager(Cluster cluster)
    {
        _cluster = cluster;
        _queue = new WorkQueue(cluster.Time);
        Controller[] all =
        [
            new NamespaceController(cluster, _queue), new GarbageCollector(cluster, _queue), new DeploymentController(cluster, _queue),
            new ReplicaSetController(cluster, _queue), new StatefulSetController(cluster, _queue), new DaemonSetController(cluster, _queue),
            new JobController(cluster, _queue), new KubeletController(cluster, _queue), new VolumeController(cluster, _queue),
            new EndpointsController(cluster, _queue), new IngressController(cluster, _queue), new QuotaController(cluster, _queue),
            new PolicyStatusController(cluster, _queue),
        ];
        _controllers = all.ToDictionary(c => c.Name);
    }

    /// <summary>Errors controllers hit that are not Kubernetes answers (bugs); tests assert there are none.</summary>
    public List<Exception> Faults { get; } = [];

    /// <summary>The key being reconciled (or last reconciled), for diagnosing a stuck controller.</summary>
    public WorkKey? Current { get; private set; }

    public long LastEvent { get; private set; }

    public string Phase { get; private set; } = "";

    private static readonly bool Trace = Environment.GetEnvironmentVariable("KUBESIM_TRACE") == "1";

    public string QueueState => _queue.Describe();

    public void Start()
    {
        _watcher = _cluster.Store.Watch(_ => true, null, out _);
        _events = Task.Run(DispatchEventsAsync);
        _work = Task.Run(WorkAsync);
    }

    private async Task DispatchEventsAsync()
    {
        try
        {
            await foreach (var e in _watcher!.Events.ReadAllAsync(_stop.Token))
            {
                LastEvent = e.ResourceVersion;
                foreach (var controller in _controllers.Values)
                {
                    try
                    {
                        controller.OnEvent(e);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Report($"{controller.Name} failed on an event", ex);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Phase = "waiting";
                var key = await _queue.NextAsync(_stop.Token);
                Phase = "reconciling";
                Current = key;
                if (Trace)
                {
                    Console.Error.WriteLine($"kubesim: reconcile {key.Controller} {key.Type.QualifiedResource} {key.Namespace}/{key.Name}");
                }
                try
                {
                    _controllers[key.Controller].Reconcile(key);
                }
                catch (Api.StatusException e) when (e.Code is 409 or 404)
                {
                    // Lost a race with a client: look again shortly, as a real controller requeues.
                    _queue.Add(key, _cluster.Options.RetryInterval);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Report($"{key.Controller} failed on {key.Type.QualifiedResource} {key.Namespace}/{key.Name}", ex);
                    _queue.Add(key, _cluster.Options.RetryInterval);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Phase = "cancelled";
        }
        catch (Exception e)
        {
            Phase = "crashed " + e;
        }
    }

    private void Report(string what, Exception error)
    {
        lock (Faults)
        {
            Faults.Add(error);
        }

        Console.Error.WriteLine($"kubesim: {what}: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _watcher?.Dispose();
        await Task.WhenAll(_events, _work);
        _stop.Dispose();
    }
}

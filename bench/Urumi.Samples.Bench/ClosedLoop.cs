using Microsoft.DurableTask.Client;

namespace Urumi.Samples.Bench;

/// <summary>
/// Keeps <c>inFlight</c> instances running: each one seen finished is replaced by a new start, until <c>total</c>
/// have finished; then waits for the rest. Finished instances are found by one query of the live (Pending, Running)
/// instances under the run's id prefix every 100 ms: an instance whose start returned before the query and that the
/// query does not list has ended (its Instances row is written by the start call).
/// </summary>
internal sealed class ClosedLoop(DurableTaskClient client, Func<string, Task> start, string prefix, int inFlight)
{
    private static readonly OrchestrationRuntimeStatus[] Live = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running];
    private readonly HashSet<string> _running = [];
    private readonly List<Task> _starts = [];
    private int _started;

    public async Task RunAsync(int total, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var i = 0; i < inFlight; i++)
        {
            StartNext();
        }
        var finished = 0;
        while (finished < total || Running().Count > 0 || _starts.Any(s => !s.IsCompleted))
        {
            ThrowIfFailedOrLate(deadline);
            await Task.Delay(100);
            var known = Running();
            var live = await LiveAsync();
            foreach (var id in known.Where(id => !live.Contains(id)))
            {
                lock (_running)
                {
                    _running.Remove(id);
                }
                if (++finished < total)
                {
                    StartNext();
                }
            }
        }
        await Task.WhenAll(_starts);
    }

    /// <summary>Every instance of the run, with its created and last-updated (completed) times.</summary>
    public async Task<List<OrchestrationMetadata>> InstancesAsync()
    {
        var all = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 1000 }))
        {
            all.Add(instance);
        }
        return all;
    }

    private void StartNext()
    {
        var id = $"{prefix}{_started++:D6}";
        _starts.Add(StartAsync(id));
    }

    private async Task StartAsync(string id)
    {
        await start(id);
        lock (_running)
        {
            _running.Add(id);
        }
    }

    private List<string> Running()
    {
        lock (_running)
        {
            return [.. _running];
        }
    }

    private async Task<HashSet<string>> LiveAsync()
    {
        var live = new HashSet<string>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, Statuses = Live, PageSize = 1000 }))
        {
            live.Add(instance.InstanceId);
        }
        return live;
    }

    private void ThrowIfFailedOrLate(DateTime deadline)
    {
        if (_starts.FirstOrDefault(s => s.IsFaulted) is { } failed)
        {
            failed.GetAwaiter().GetResult();
        }
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"The closed loop did not finish within {deadline}: {_started} started, {Running().Count} running.");
        }
    }
}

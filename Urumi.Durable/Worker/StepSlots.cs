namespace Urumi.Durable.Worker;

/// <summary>
/// The orchestrator step slots of a worker (MaxConcurrentOrchestratorFunctions). When they run short, a step of an
/// instance already running gets the next free slot before the first step of a new one: under saturation, new
/// instances wait to start instead of every running instance waiting at each step.
/// </summary>
internal sealed class StepSlots(int count)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _running = new();
    private readonly Queue<TaskCompletionSource> _starting = new();
    private int _free = count;

    public Task WaitAsync(bool starting, CancellationToken ct)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return Task.CompletedTask;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (starting ? _starting : _running).Enqueue(waiter);
        }
        if (ct.CanBeCanceled)
        {
            var registration = ct.Register(() => waiter.TrySetCanceled(ct));
            _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return waiter.Task;
    }

    public void Release()
    {
        while (true)
        {
            TaskCompletionSource? next;
            lock (_lock)
            {
                next = _running.Count > 0 ? _running.Dequeue() : _starting.Count > 0 ? _starting.Dequeue() : null;
                if (next is null)
                {
                    _free++;
                    return;
                }
            }
            // A waiter cancelled meanwhile does not take the slot.
            if (next.TrySetResult())
            {
                return;
            }
        }
    }
}

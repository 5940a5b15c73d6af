namespace Urumi.Durable.Worker;

/// <summary>An auto-reset signal a dispatcher waits on between polls, so local work wakes it at once.</summary>
internal sealed class AsyncSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Set()
    {
        try
        {
            if (_semaphore.CurrentCount == 0)
            {
                _semaphore.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already set: one pending wake-up is enough.
        }
    }

    /// <summary>Waits until set or until <paramref name="timeout"/>; true when it was set.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}

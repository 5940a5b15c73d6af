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

/// <summary>
/// The wait between empty polls: 50 ms doubling up to a maximum, cut short and reset by a wake-up. Messages this
/// process sends wake it, so polling only has to catch what other processes send.
/// </summary>
internal sealed class PollingBackoff(TimeSpan max)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(50);
    private readonly AsyncSignal _signal = new();
    private TimeSpan _wait = TimeSpan.Zero;

    public void Wake() => _signal.Set();

    public void Reset() => _wait = TimeSpan.Zero;

    public async Task IdleAsync(CancellationToken ct)
    {
        var next = _wait == TimeSpan.Zero ? First : _wait * 2;
        _wait = next < max ? next : max;
        if (await _signal.WaitAsync(_wait, ct))
        {
            _wait = TimeSpan.Zero;
        }
    }
}

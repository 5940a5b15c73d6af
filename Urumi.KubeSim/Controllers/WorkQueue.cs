using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Controllers;

/// <summary>What a controller is asked to look at: one object, by type, namespace and name.</summary>
public readonly record struct WorkKey(string Controller, ResourceType Type, string? Namespace, string Name);

/// <summary>A de-duplicating work queue with due times, drained by one loop (controllers never run concurrently).</summary>
public sealed class WorkQueue(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly PriorityQueue<WorkKey, DateTimeOffset> _queue = new();
    private readonly Dictionary<WorkKey, DateTimeOffset> _due = [];
    private readonly SemaphoreSlim _signal = new(0);

    public void Add(WorkKey key, TimeSpan delay = default)
    {
        var at = time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_due.TryGetValue(key, out var existing) && existing <= at)
            {
                return;
            }

            _due[key] = at;
            _queue.Enqueue(key, at);
        }

        _signal.Release();
    }

    public string Describe()
    {
        lock (_gate)
        {
            return $"{_queue.Count} queued, {_due.Count} due, next: " + (_queue.TryPeek(out var k, out var at) ? $"{k} at {at:O} (now {time.GetUtcNow():O})" : "none");
        }
    }

    /// <summary>Waits for the next key that is due.</summary>
    public async Task<WorkKey> NextAsync(CancellationToken cancellation)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                while (_queue.TryPeek(out var key, out var at))
                {
                    if (!_due.TryGetValue(key, out var due) || due != at)
                    {
                        _queue.Dequeue();
                        continue;
                    }

                    var now = time.GetUtcNow();
                    if (at <= now)
                    {
                        _queue.Dequeue();
                        _due.Remove(key);
                        return key;
                    }

                    break;
                }

                wait = _queue.TryPeek(out _, out var next) ? next - time.GetUtcNow() : Timeout.InfiniteTimeSpan;
            }

            if (wait != Timeout.InfiniteTimeSpan && wait < TimeSpan.Zero)
            {
                continue;
            }

            await _signal.WaitAsync(wait == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : wait + TimeSpan.FromMilliseconds(1), cancellation);
        }
    }
}

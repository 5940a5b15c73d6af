namespace Urumi.Hosting.Worker;

/// <summary>
/// The rule that tells a stuck activity message from a passing one. DurableTask.AzureStorage drops a work-item message
/// it dequeues while it still holds that message's id in its in-flight set ("being processed multiple times
/// concurrently"). Once, that can be a running activity whose lock renewals failed during a storage outage; its
/// completion clears the id. The same id dropped again, a whole visibility timeout later (a dropped message is
/// invisible that long), is the set's leftover of a completion or abandon that failed while storage was down: the
/// service will drop every redelivery of it until it is replaced.
/// </summary>
public sealed class DroppedRedeliveries
{
    private readonly HashSet<string> _dropped = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records one drop; true when the same message was dropped before (it is stuck).</summary>
    public bool IsStuckAfter(string messageId)
    {
        lock (_dropped)
        {
            return !_dropped.Add(messageId);
        }
    }

    /// <summary>Forgets every drop (a new orchestration service holds no leftovers).</summary>
    public void Clear()
    {
        lock (_dropped)
        {
            _dropped.Clear();
        }
    }
}

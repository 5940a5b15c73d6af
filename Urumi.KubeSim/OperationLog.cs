namespace Urumi.KubeSim;

/// <summary>One request or controller action that changed (or tried to change) the cluster.</summary>
/// <param name="Actor">The client's User-Agent ("helm/v3.17.3 ...", "kubectl/v1.31.9 ...") or "controller:&lt;name&gt;".</param>
/// <param name="Detail">For Helm release Secrets, the release status label; for failures, the reason.</param>
public sealed record Operation(
    long Sequence,
    DateTimeOffset At,
    string Verb,
    string Resource,
    string? Namespace,
    string? Name,
    int Code,
    string Actor,
    string? Detail);

/// <summary>The queryable record of who created, changed and deleted what, and when.</summary>
public sealed class OperationLog(TimeProvider time, int capacity = 200_000)
{
    private readonly Queue<Operation> _operations = new();
    private long _sequence;

    public void Record(string verb, string resource, string? ns, string? name, int code, string actor, string? detail = null)
    {
        lock (_operations)
        {
            _operations.Enqueue(new Operation(++_sequence, time.GetUtcNow(), verb, resource, ns, name, code, actor, detail));
            if (_operations.Count > capacity)
            {
                _operations.Dequeue();
            }
        }
    }

    public IReadOnlyList<Operation> Query(Func<Operation, bool>? filter = null)
    {
        lock (_operations)
        {
            return filter is null ? [.. _operations] : [.. _operations.Where(filter)];
        }
    }

    /// <summary>
    /// When helm's first install of <paramref name="release"/> in <paramref name="ns"/> started and ended, from the
    /// writes to its release Secrets: the one marking it pending-install, then the first marking it deployed or failed.
    /// </summary>
    public (Operation Started, Operation Ended) HelmInstall(string ns, string release)
    {
        var writes = Query(o => o.Resource == "secrets" && o.Namespace == ns && o.Code < 300
            && (o.Name ?? "").StartsWith($"sh.helm.release.v1.{release}.", StringComparison.Ordinal));
        var started = writes.First(o => o.Detail == "pending-install");
        return (started, writes.First(o => o.Sequence > started.Sequence && o.Detail is "deployed" or "failed"));
    }

    public void Clear()
    {
        lock (_operations)
        {
            _operations.Clear();
        }
    }
}

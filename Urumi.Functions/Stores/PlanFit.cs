using System.Globalization;
using k8s;
using k8s.Models;

namespace Urumi.Functions.Stores;

/// <summary>
/// What a rendered store asks of its namespace's ResourceQuota at the worst moment of its life: every workload at
/// full scale, plus the extra pods of a rolling update (maxSurge, 25% by default) and the hook Jobs, each
/// container's requests and limits as the LimitRange completes them, and the PersistentVolumeClaims (its own and
/// its StatefulSets' volumeClaimTemplates) with their storage.
/// </summary>
public static class PlanFit
{
    public const string RequestsCpu = "requests.cpu";
    public const string RequestsMemory = "requests.memory";
    public const string LimitsCpu = "limits.cpu";
    public const string LimitsMemory = "limits.memory";
    public const string Pods = "pods";
    public const string Claims = "persistentvolumeclaims";
    public const string Storage = "requests.storage";

    public static IReadOnlyDictionary<string, decimal> Demand(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects)
    {
        var demand = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            [RequestsCpu] = 0,
            [RequestsMemory] = 0,
            [LimitsCpu] = 0,
            [LimitsMemory] = 0,
            [Pods] = 0,
            [Claims] = 0,
            [Storage] = 0,
        };
        foreach (var o in objects)
        {
            var (pods, spec, claims) = o switch
            {
                V1Deployment d => (Replicas(d.Spec.Replicas) + Surge(d), d.Spec.Template.Spec, (IList<V1PersistentVolumeClaim>?)null),
                V1StatefulSet s => (Replicas(s.Spec.Replicas), s.Spec.Template.Spec, s.Spec.VolumeClaimTemplates),
                V1Job j => (j.Spec.Parallelism ?? 1, j.Spec.Template.Spec, null),
                V1Pod p => (1, p.Spec, null),
                V1PersistentVolumeClaim c => (0, null, [c]),
                _ => (0, null, null),
            };
            if (spec is not null)
            {
                demand[Pods] += pods;
                foreach (var (resource, amount) in PodAmounts(spec))
                {
                    demand[resource] += pods * amount;
                }
            }
            var copies = o is V1StatefulSet ? pods : 1;
            foreach (var claim in claims ?? [])
            {
                demand[Claims] += copies;
                demand[Storage] += copies * (claim.Spec.Resources?.Requests?.TryGetValue("storage", out var size) == true ? size.ToDecimal() : 0);
            }
        }
        return demand;
    }

    /// <summary>Each quota entry the demand exceeds, as "requests.cpu: needs 2.5, the plan allows 2".</summary>
    public static IReadOnlyList<string> Misfits(IReadOnlyDictionary<string, decimal> demand, IReadOnlyDictionary<string, string> quota)
    {
        var misfits = new List<string>();
        foreach (var (resource, hard) in quota)
        {
            var key = resource switch { "cpu" => RequestsCpu, "memory" => RequestsMemory, _ => resource };
            if (demand.TryGetValue(key, out var needed) && needed > new ResourceQuantity(hard).ToDecimal())
            {
                misfits.Add($"{resource}: needs {Format(key, needed)}, the plan allows {hard}");
            }
        }
        return misfits;
    }

    private static int Replicas(int? replicas) => replicas ?? 1;

    /// <summary>The extra pods a rolling update may start: maxSurge (a count, or a percentage rounded up; 25% by default).</summary>
    private static int Surge(V1Deployment d)
    {
        if (d.Spec.Strategy?.Type == "Recreate")
        {
            return 0;
        }
        var surge = d.Spec.Strategy?.RollingUpdate?.MaxSurge?.Value ?? "25%";
        return surge.EndsWith('%')
            ? (int)Math.Ceiling(Replicas(d.Spec.Replicas) * decimal.Parse(surge[..^1], CultureInfo.InvariantCulture) / 100m)
            : int.Parse(surge, CultureInfo.InvariantCulture);
    }

    /// <summary>A pod's requests and limits: its containers added up, or its largest init container if that is more.</summary>
    private static Dictionary<string, decimal> PodAmounts(V1PodSpec spec)
    {
        var containers = spec.Containers.Select(ContainerAmounts).ToList();
        var inits = (spec.InitContainers ?? []).Select(ContainerAmounts).ToList();
        return new[] { RequestsCpu, RequestsMemory, LimitsCpu, LimitsMemory }.ToDictionary(
            r => r,
            r => Math.Max(containers.Sum(c => c[r]), inits.Count == 0 ? 0 : inits.Max(c => c[r])));
    }

    /// <summary>As admission sees a container: a missing request is its limit, else the LimitRange's default request; a missing limit is the LimitRange's default.</summary>
    private static Dictionary<string, decimal> ContainerAmounts(V1Container c)
    {
        var requests = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
        var limits = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
        decimal Limit(string r) => limits.TryGetValue(r, out var l) ? l.ToDecimal() : new ResourceQuantity(StorePlans.LimitRangeDefault[r]).ToDecimal();
        decimal Request(string r) => requests.TryGetValue(r, out var q) ? q.ToDecimal()
            : limits.TryGetValue(r, out var l) ? l.ToDecimal() : new ResourceQuantity(StorePlans.LimitRangeDefaultRequest[r]).ToDecimal();
        return new Dictionary<string, decimal>
        {
            [RequestsCpu] = Request("cpu"),
            [RequestsMemory] = Request("memory"),
            [LimitsCpu] = Limit("cpu"),
            [LimitsMemory] = Limit("memory"),
        };
    }

    private static string Format(string resource, decimal amount) => resource is RequestsMemory or LimitsMemory or Storage
        ? $"{amount / (1024 * 1024 * 1024):0.##}Gi"
        : amount.ToString("0.###", CultureInfo.InvariantCulture);
}

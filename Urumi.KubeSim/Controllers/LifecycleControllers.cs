using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>
/// Deletes the contents of a Terminating namespace, reports what remains in its conditions, and removes it once it
/// is empty (after <see cref="KubeSimOptions.NamespaceDeletionDelay"/>).
/// </summary>
internal sealed class NamespaceController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    private readonly Dictionary<string, DateTimeOffset> _emptySince = [];

    public override string Name => "namespace-controller";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.Namespaces && e.EventType != "DELETED" && IsDeleting(e.Object))
        {
            Enqueue(e.Type, null, NameOf(e.Object));
        }
        else if (e.EventType == "DELETED" && e.Type.Namespaced && Namespace(e.Object) is { } ns
            && Cluster.Store.Get(ResourceCatalog.Namespaces, null, ns) is { } owner && IsDeleting(owner))
        {
            Enqueue(ResourceCatalog.Namespaces, null, ns);
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var ns = Cluster.Store.Get(ResourceCatalog.Namespaces, null, key.Name);
        if (ns is null || !IsDeleting(ns))
        {
            _emptySince.Remove(key.Name);
            return;
        }

        var remaining = new Dictionary<string, int>();
        var finalizers = new Dictionary<string, int>();
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
        {
            foreach (var obj in Cluster.Store.List(type, key.Name))
            {
                if (!IsDeleting(obj))
                {
                    try
                    {
                        Cluster.Delete(type, key.Name, NameOf(obj), new JsonObject { ["propagationPolicy"] = "Background" }, Actor);
                    }
                    catch (StatusException e) when (e.Code == 404)
                    {
                        continue;
                    }
                }

                if (Cluster.Store.Get(type, key.Name, NameOf(obj)) is { } left)
                {
                    remaining[type.QualifiedResource] = remaining.GetValueOrDefault(type.QualifiedResource) + 1;
                    foreach (var f in (left["metadata"]?["finalizers"] as JsonArray ?? []).Select(f => (string?)f).OfType<string>())
                    {
                        finalizers[f] = finalizers.GetValueOrDefault(f) + 1;
                    }
                }
            }
        }

        Cluster.Mutate(ResourceCatalog.Namespaces, null, key.Name, n =>
        {
            var status = n["status"] as JsonObject ?? (JsonObject)(n["status"] = new JsonObject());
            status["phase"] = "Terminating";
            SetCondition(status, "NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered");
            SetCondition(status, "NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed");
            SetCondition(status, "NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization");
            if (remaining.Count > 0)
            {
                SetCondition(status, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
                    "Some resources are remaining: " + string.Join(", ", remaining.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} has {p.Value} resource instances")));
            }
            else
            {
                SetCondition(status, "NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed");
            }

            if (finalizers.Count > 0)
            {
                SetCondition(status, "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} in {p.Value} resource instances")));
            }
            else
            {
                SetCondition(status, "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished");
            }
        }, Actor);

        if (remaining.Count > 0 || Cluster.Store.NamespaceHasObjects(key.Name))
        {
            _emptySince.Remove(key.Name);
            Enqueue(ResourceCatalog.Namespaces, null, key.Name, Options.RetryInterval);
            return;
        }

        var now = Cluster.Time.GetUtcNow();
        if (!_emptySince.TryGetValue(key.Name, out var since))
        {
            _emptySince[key.Name] = since = now;
        }

        if (now - since >= Options.NamespaceDeletionDelay)
        {
            _emptySince.Remove(key.Name);
            Cluster.RemoveForGood(ResourceCatalog.Namespaces, null, key.Name);
            Cluster.Operations.Record("delete", ResourceCatalog.Namespaces.QualifiedResource, null, key.Name, 200, Actor, "finalized");
        }
        else
        {
            Enqueue(ResourceCatalog.Namespaces, null, key.Name, Options.NamespaceDeletionDelay - (now - since));
        }
    }
}

/// <summary>
/// The garbage collector: when an owner is gone, its dependents (ownerReferences by uid) are deleted; an owner
/// deleted in the foreground waits, with the foregroundDeletion finalizer, until its dependents are gone. Also the
/// pvc-protection controller: a deleted PVC loses its finalizer once no pod uses it.
/// </summary>
internal sealed class GarbageCollector(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "garbage-collector";

    public override void OnEvent(WatchEvent e)
    {
        var uid = (string?)e.Object["metadata"]?["uid"];
        if (uid is null)
        {
            return;
        }

        if (e.EventType == "DELETED" || (IsDeleting(e.Object) && HasFinalizer(e.Object, "foregroundDeletion")))
        {
            Enqueue(e.Type, Namespace(e.Object), "uid:" + uid + ":" + NameOf(e.Object));
        }

        if (e.EventType == "ADDED" && Cluster.OwnerUids(e.Object).Any())
        {
            // Created after its owner went (a controller that raced the owner's deletion): collect it if so.
            Enqueue(e.Type, Namespace(e.Object), Dangling + NameOf(e.Object));
        }

        foreach (var owner in Cluster.OwnerUids(e.Object))
        {
            if (e.EventType == "DELETED")
            {
                // A dependent went away: an owner waiting in the foreground may now be free.
                foreach (var type in ResourceCatalog.All)
                {
                    foreach (var waiting in Cluster.Store.List(type, type.Namespaced ? Namespace(e.Object) : null, o => (string?)o["metadata"]?["uid"] == owner && IsDeleting(o)))
                    {
                        Enqueue(type, Namespace(waiting), "uid:" + owner + ":" + NameOf(waiting));
                    }
                }
            }
        }

        if (e.Type == ResourceCatalog.PersistentVolumeClaims && e.EventType != "DELETED" && IsDeleting(e.Object))
        {
            Enqueue(e.Type, e.Object);
        }
        else if (e.Type == ResourceCatalog.Pods && e.EventType == "DELETED")
        {
            foreach (var claim in Cluster.Store.List(ResourceCatalog.PersistentVolumeClaims, Namespace(e.Object), IsDeleting))
            {
                Enqueue(ResourceCatalog.PersistentVolumeClaims, claim);
            }
        }
    }

    public override void Reconcile(WorkKey key)
    {
        if (key.Name.StartsWith(Dangling, StringComparison.Ordinal))
        {
            CollectIfEveryOwnerIsGone(key.Type, key.Namespace, key.Name[Dangling.Length..]);
            return;
        }
        if (!key.Name.StartsWith("uid:", StringComparison.Ordinal))
        {
            ReleaseClaim(key);
            return;
        }

        var parts = key.Name.Split(':', 3);
        var uid = parts[1];
        var ownerName = parts[2];
        var owner = Cluster.Store.Get(key.Type, key.Type.Namespaced ? key.Namespace : null, ownerName);
        var waiting = owner is not null && (string?)owner["metadata"]?["uid"] == uid && HasFinalizer(owner, "foregroundDeletion");
        // Dependents of an owner waiting in the foreground go in the foreground too (as the real collector does),
        // so a ReplicaSet stops making pods before its Deployment is gone.
        var policy = waiting ? "Foreground" : "Background";
        foreach (var (type, dependent) in Dependents(key, uid).Where(d => !IsDeleting(d.Object)))
        {
            try
            {
                Cluster.Delete(type, Namespace(dependent), NameOf(dependent), new JsonObject { ["propagationPolicy"] = policy }, Actor);
            }
            catch (StatusException e) when (e.Code == 404)
            {
            }
        }

        if (!waiting)
        {
            return;
        }

        if (Dependents(key, uid).Count == 0)
        {
            Cluster.Mutate(key.Type, key.Namespace, ownerName, o => RemoveFinalizer(o, "foregroundDeletion"), Actor);
        }
        else
        {
            Enqueue(key.Type, key.Namespace, key.Name, Options.RetryInterval);
        }
    }

    private const string Dangling = "dangling:";

    /// <summary>Deletes an object all of whose owners are gone, as the real collector does with dangling references.</summary>
    private void CollectIfEveryOwnerIsGone(ResourceType type, string? ns, string name)
    {
        var obj = Cluster.Store.Get(type, type.Namespaced ? ns : null, name);
        if (obj is null || IsDeleting(obj) || obj["metadata"]?["ownerReferences"] is not JsonArray { Count: > 0 } owners)
        {
            return;
        }
        bool Exists(JsonNode? reference)
        {
            var ownerType = ResourceCatalog.All.FirstOrDefault(t => t.Kind == (string?)reference?["kind"]);
            return ownerType is null
                || (Cluster.Store.Get(ownerType, ownerType.Namespaced ? ns : null, (string?)reference?["name"] ?? "") is { } owner
                    && (string?)owner["metadata"]?["uid"] == (string?)reference?["uid"]);
        }
        if (owners.Any(Exists))
        {
            return;
        }
        try
        {
            Cluster.Delete(type, ns, name, new JsonObject { ["propagationPolicy"] = "Background" }, Actor);
        }
        catch (StatusException e) when (e.Code == 404)
        {
        }
    }

    /// <summary>Objects whose ownerReferences name <paramref name="uid"/> (in the owner's namespace when it has one).</summary>
    private List<(ResourceType Type, JsonObject Object)> Dependents(WorkKey owner, string uid) => ResourceCatalog.All
        .SelectMany(t => Cluster.Store.List(t, t.Namespaced && owner.Type.Namespaced ? owner.Namespace : null, o => Cluster.OwnerUids(o).Contains(uid)).Select(o => (t, o)))
        .ToList();

    private void ReleaseClaim(WorkKey key)
    {
        var claim = Cluster.Store.Get(ResourceCatalog.PersistentVolumeClaims, key.Namespace, key.Name);
        if (claim is null || !IsDeleting(claim) || !HasFinalizer(claim, "kubernetes.io/pvc-protection"))
        {
            return;
        }

        var inUse = Cluster.Store.List(ResourceCatalog.Pods, key.Namespace, p => IsPodActive(p)
            && (p["spec"]?["volumes"] as JsonArray ?? []).Any(v => (string?)v?["persistentVolumeClaim"]?["claimName"] == key.Name)).Count > 0;
        if (!inUse)
        {
            Cluster.Mutate(ResourceCatalog.PersistentVolumeClaims, key.Namespace, key.Name, c => RemoveFinalizer(c, "kubernetes.io/pvc-protection"), "controller:pvc-protection-controller");
        }
    }

    private static bool HasFinalizer(JsonObject obj, string finalizer) =>
        (obj["metadata"]?["finalizers"] as JsonArray ?? []).Any(f => (string?)f == finalizer);

    private static void RemoveFinalizer(JsonObject obj, string finalizer)
    {
        var meta = obj["metadata"]!.AsObject();
        var kept = (meta["finalizers"] as JsonArray ?? []).Where(f => (string?)f != finalizer).Select(f => f?.DeepClone()).ToArray();
        if (kept.Length == 0)
        {
            meta.Remove("finalizers");
        }
        else
        {
            meta["finalizers"] = new JsonArray(kept);
        }
    }
}

/// <summary>Keeps ResourceQuota status.hard and status.used current as objects come and go.</summary>
internal sealed class QuotaController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "resourcequota-controller";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.ResourceQuotas)
        {
            if (e.EventType != "DELETED")
            {
                Enqueue(e.Type, e.Object);
            }

            return;
        }

        if (!e.Type.Namespaced || Namespace(e.Object) is not { } ns || e.Type == ResourceCatalog.Events)
        {
            return;
        }

        foreach (var quota in Cluster.Store.List(ResourceCatalog.ResourceQuotas, ns))
        {
            Enqueue(ResourceCatalog.ResourceQuotas, quota);
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var quota = Cluster.Store.Get(ResourceCatalog.ResourceQuotas, key.Namespace, key.Name);
        if (quota?["spec"]?["hard"] is not JsonObject hard || IsDeleting(quota))
        {
            return;
        }

        var used = Cluster.Admission.Used(key.Namespace!, hard);
        Cluster.Mutate(ResourceCatalog.ResourceQuotas, key.Namespace, key.Name, q => q["status"] = new JsonObject
        {
            ["hard"] = hard.DeepClone(),
            ["used"] = new JsonObject(used.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Admission.Quantity.Format(p.Value)))),
        }, Actor);
    }
}

/// <summary>Status for HorizontalPodAutoscalers (replicas of the target) and PodDisruptionBudgets (healthy pods).</summary>
internal sealed class PolicyStatusController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "policy-status-controller";

    public override void OnEvent(WatchEvent e)
    {
        if ((e.Type == ResourceCatalog.HorizontalPodAutoscalers || e.Type == ResourceCatalog.PodDisruptionBudgets) && e.EventType != "DELETED")
        {
            Enqueue(e.Type, e.Object);
        }
        else if (e.Type == ResourceCatalog.Pods && Namespace(e.Object) is { } ns)
        {
            foreach (var type in new[] { ResourceCatalog.HorizontalPodAutoscalers, ResourceCatalog.PodDisruptionBudgets })
            {
                foreach (var obj in Cluster.Store.List(type, ns))
                {
                    Enqueue(type, obj, TimeSpan.FromMilliseconds(100));
                }
            }
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var obj = Cluster.Store.Get(key.Type, key.Namespace, key.Name);
        if (obj is null || IsDeleting(obj))
        {
            return;
        }

        if (key.Type == ResourceCatalog.HorizontalPodAutoscalers)
        {
            var target = obj["spec"]?["scaleTargetRef"];
            var targetType = ResourceCatalog.FindKind((string?)target?["apiVersion"] ?? "apps/v1", (string?)target?["kind"] ?? "");
            var workload = targetType is null ? null : Cluster.Store.Get(targetType, key.Namespace, (string?)target?["name"] ?? "");
            var replicas = workload is null ? 0 : Int(workload["status"]?["replicas"]);
            var min = Int(obj["spec"]?["minReplicas"], 1);
            Cluster.Mutate(key.Type, key.Namespace, key.Name, h =>
            {
                var status = h["status"] as JsonObject ?? (JsonObject)(h["status"] = new JsonObject());
                status["currentReplicas"] = replicas;
                status["desiredReplicas"] = Math.Max(min, replicas);
                SetCondition(status, "AbleToScale", workload is null ? "False" : "True", workload is null ? "FailedGetScale" : "ReadyForNewScale",
                    workload is null ? "the HPA controller was unable to get the target's current scale" : "recommended size matches current size");
                SetCondition(status, "ScalingActive", "False", "FailedGetResourceMetric", "the HPA was unable to compute the replica count: no metrics in KubeSim");
            }, Actor);
            return;
        }

        var selector = LabelSelector.FromObject(obj["spec"]?["selector"] as JsonObject);
        var pods = Cluster.Store.List(ResourceCatalog.Pods, key.Namespace, p => selector.MatchesObject(p) && IsPodActive(p));
        var healthy = pods.Count(IsPodReady);
        var minAvailable = JsonNumbers.Long(obj["spec"]?["minAvailable"]);
        var desired = Math.Min(minAvailable, pods.Count);
        Cluster.Mutate(key.Type, key.Namespace, key.Name, p =>
        {
            var status = p["status"] as JsonObject ?? (JsonObject)(p["status"] = new JsonObject());
            status["observedGeneration"] = Int(p["metadata"]?["generation"], 1);
            status["expectedPods"] = pods.Count;
            status["currentHealthy"] = healthy;
            status["desiredHealthy"] = desired;
            status["disruptionsAllowed"] = Math.Max(0, healthy - desired);
            SetCondition(status, "DisruptionAllowed", healthy > desired ? "True" : "False", healthy > desired ? "SufficientPods" : "InsufficientPods", "");
        }, Actor);
    }
}

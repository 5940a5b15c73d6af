using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>ReplicaSet -> Pods; a rejected pod creation (quota, limits) becomes a ReplicaFailure condition and a FailedCreate event.</summary>
internal sealed class ReplicaSetController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "replicaset-controller";

    public override void OnEvent(WatchEvent e) => EnqueueForPodOwner(e, ResourceCatalog.ReplicaSets);

    public override void Reconcile(WorkKey key)
    {
        var rs = Cluster.Store.Get(ResourceCatalog.ReplicaSets, key.Namespace, key.Name);
        if (rs is null || IsDeleting(rs))
        {
            return;
        }

        var desired = Int(rs["spec"]?["replicas"], 1);
        var pods = OwnedPods(rs).Where(IsPodActive).ToList();
        string? failure = null;
        for (var i = pods.Count; i < desired && failure is null; i++)
        {
            var pod = PodFromTemplate(rs["spec"]!["template"]!.AsObject(), OwnerReference(ResourceCatalog.ReplicaSets, rs), null, key.Name + "-");
            failure = TryCreatePod(ResourceCatalog.ReplicaSets, rs, pod, "Error creating: ");
        }

        foreach (var extra in pods.OrderBy(IsPodReady).ThenByDescending(p => (string?)p["metadata"]?["creationTimestamp"]).Take(Math.Max(0, pods.Count - (int)desired)))
        {
            try
            {
                Cluster.Delete(ResourceCatalog.Pods, key.Namespace, NameOf(extra), null, Actor);
                RecordEvent(ResourceCatalog.ReplicaSets, rs, "Normal", "SuccessfulDelete", $"Deleted pod: {NameOf(extra)}");
            }
            catch (StatusException e) when (e.Code == 404)
            {
            }
        }

        pods = OwnedPods(rs).Where(IsPodActive).ToList();
        var ready = pods.Count(IsPodReady);
        Cluster.Mutate(ResourceCatalog.ReplicaSets, key.Namespace, key.Name, r =>
        {
            var status = r["status"] as JsonObject ?? (JsonObject)(r["status"] = new JsonObject());
            status["replicas"] = pods.Count;
            SetCount(status, "fullyLabeledReplicas", pods.Count);
            SetCount(status, "readyReplicas", ready);
            SetCount(status, "availableReplicas", ready);
            status["observedGeneration"] = Int(r["metadata"]?["generation"], 1);
            if (failure is not null)
            {
                SetCondition(status, "ReplicaFailure", "True", "FailedCreate", failure);
            }
            else
            {
                RemoveCondition(status, "ReplicaFailure");
                if (status["conditions"] is JsonArray { Count: 0 })
                {
                    status.Remove("conditions");
                }
            }
        }, Actor);

        if (failure is not null)
        {
            Enqueue(ResourceCatalog.ReplicaSets, key.Namespace, key.Name, Options.RetryInterval);
        }
    }
}

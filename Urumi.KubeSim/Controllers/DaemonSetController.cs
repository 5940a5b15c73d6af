using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>DaemonSet -> one pod on the single simulated node, replaced when the template changes.</summary>
internal sealed class DaemonSetController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "daemonset-controller";

    public override void OnEvent(WatchEvent e) => EnqueueSelfOrOwner(e, ResourceCatalog.DaemonSets, ResourceCatalog.Pods);

    public override void Reconcile(WorkKey key)
    {
        var ds = Cluster.Store.Get(ResourceCatalog.DaemonSets, key.Namespace, key.Name);
        if (ds is null || IsDeleting(ds))
        {
            return;
        }

        var hash = Hash(ds["spec"]?["template"]);
        var pods = OwnedPods(ds).Where(IsPodActive).ToList();
        foreach (var stale in pods.Where(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] != hash))
        {
            Cluster.Delete(ResourceCatalog.Pods, key.Namespace, NameOf(stale), null, Actor);
        }

        string? failure = null;
        if (!pods.Any(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] == hash))
        {
            var pod = PodFromTemplate(ds["spec"]!["template"]!.AsObject(), OwnerReference(ResourceCatalog.DaemonSets, ds), null, key.Name + "-",
                new Dictionary<string, string> { ["controller-revision-hash"] = hash, ["pod-template-generation"] = Int(ds["metadata"]?["generation"], 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            failure = TryCreatePod(ResourceCatalog.DaemonSets, ds, pod, "Error creating: ");
        }

        pods = OwnedPods(ds).Where(IsPodActive).ToList();
        var ready = pods.Count(IsPodReady);
        var updated = pods.Count(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] == hash);
        Cluster.Mutate(ResourceCatalog.DaemonSets, key.Namespace, key.Name, d =>
        {
            d["status"] = new JsonObject
            {
                ["currentNumberScheduled"] = pods.Count,
                ["numberMisscheduled"] = 0,
                ["desiredNumberScheduled"] = 1,
                ["numberReady"] = ready,
                ["observedGeneration"] = Int(d["metadata"]?["generation"], 1),
                ["updatedNumberScheduled"] = updated,
                ["numberAvailable"] = ready,
                ["numberUnavailable"] = 1 - ready,
            };
        }, Actor);

        if (failure is not null)
        {
            Enqueue(ResourceCatalog.DaemonSets, key.Namespace, key.Name, Options.RetryInterval);
        }
    }
}

using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>The simulated provisioner: a PVC whose StorageClass exists becomes Bound to a made-up volume.</summary>
internal sealed class VolumeController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "persistentvolume-binder-controller";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.PersistentVolumeClaims && e.EventType == "ADDED")
        {
            Enqueue(e.Type, e.Object, Options.VolumeBindDelay);
        }
        else if (e.Type == ResourceCatalog.StorageClasses && e.EventType == "ADDED")
        {
            foreach (var claim in Cluster.Store.List(ResourceCatalog.PersistentVolumeClaims, null, c => (string?)c["status"]?["phase"] == "Pending"))
            {
                Enqueue(ResourceCatalog.PersistentVolumeClaims, claim);
            }
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var claim = Cluster.Store.Get(ResourceCatalog.PersistentVolumeClaims, key.Namespace, key.Name);
        if (claim is null || IsDeleting(claim) || (string?)claim["status"]?["phase"] == "Bound")
        {
            return;
        }

        var className = (string?)claim["spec"]?["storageClassName"];
        var storageClass = className is null ? null : Cluster.Store.Get(ResourceCatalog.StorageClasses, null, className);
        if (storageClass is null)
        {
            RecordEvent(ResourceCatalog.PersistentVolumeClaims, claim, "Warning", "ProvisioningFailed",
                className is null ? "no persistent volumes available for this claim and no storage class is set" : $"storageclass.storage.k8s.io \"{className}\" not found");
            return;
        }

        var volume = "pvc-" + Uid(claim);
        Cluster.Mutate(ResourceCatalog.PersistentVolumeClaims, key.Namespace, key.Name, c =>
        {
            var meta = c["metadata"]!.AsObject();
            var annotations = meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject());
            annotations["pv.kubernetes.io/bind-completed"] = "yes";
            annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = (string?)storageClass["provisioner"];
            annotations["volume.kubernetes.io/storage-provisioner"] = (string?)storageClass["provisioner"];
            var finalizers = meta["finalizers"] as JsonArray ?? (JsonArray)(meta["finalizers"] = new JsonArray());
            if (!finalizers.Any(f => (string?)f == "kubernetes.io/pvc-protection"))
            {
                finalizers.Add("kubernetes.io/pvc-protection");
            }

            c["spec"]!["volumeName"] = volume;
            c["status"] = new JsonObject
            {
                ["phase"] = "Bound",
                ["accessModes"] = c["spec"]?["accessModes"]?.DeepClone(),
                ["capacity"] = new JsonObject { ["storage"] = c["spec"]?["resources"]?["requests"]?["storage"]?.DeepClone() },
            };
        }, Actor);
        RecordEvent(ResourceCatalog.PersistentVolumeClaims, claim, "Normal", "ProvisioningSucceeded", $"Successfully provisioned volume {volume}");
    }
}

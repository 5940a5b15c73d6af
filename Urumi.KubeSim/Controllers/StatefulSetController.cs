using System.Globalization;
using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>
/// StatefulSet -> Pods NAME-0..N-1 (in order, each waiting for the previous to be Ready, unless Parallel) with PVCs
/// from volumeClaimTemplates; template changes roll pods from the highest ordinal down.
/// </summary>
internal sealed class StatefulSetController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "statefulset-controller";

    public override void OnEvent(WatchEvent e) => EnqueueForPodOwner(e, ResourceCatalog.StatefulSets);

    public override void Reconcile(WorkKey key)
    {
        var sts = Cluster.Store.Get(ResourceCatalog.StatefulSets, key.Namespace, key.Name);
        if (sts is null || IsDeleting(sts))
        {
            return;
        }

        var ns = key.Namespace!;
        var spec = sts["spec"]!.AsObject();
        var replicas = Int(spec["replicas"], 1);
        var parallel = (string?)spec["podManagementPolicy"] == "Parallel";
        var revision = $"{key.Name}-{Hash(spec["template"], 10)}";
        var pods = OwnedPods(sts).ToDictionary(p => Ordinal(p, key.Name));
        string? failure = null;

        for (var i = 0; i < replicas && failure is null; i++)
        {
            if (pods.TryGetValue(i, out var existing))
            {
                if (!parallel && !IsPodReady(existing))
                {
                    break;
                }

                continue;
            }

            failure = CreatePod(sts, i, revision);
            if (!parallel)
            {
                break;
            }
        }

        foreach (var (ordinal, pod) in pods.Where(p => p.Key >= replicas).OrderByDescending(p => p.Key))
        {
            Delete(pod);
            if (!parallel)
            {
                break;
            }
        }

        // Rolling update: once every pod is Ready, replace the highest-ordinal pod still on the old revision.
        var current = pods.Where(p => p.Key < replicas).Select(p => p.Value).ToList();
        if (failure is null && current.Count == replicas && current.All(IsPodReady))
        {
            var stale = current.Where(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] != revision)
                .OrderByDescending(p => Ordinal(p, key.Name)).FirstOrDefault();
            if (stale is not null)
            {
                Delete(stale);
            }
        }

        pods = OwnedPods(sts).ToDictionary(p => Ordinal(p, key.Name));
        var ready = pods.Values.Count(IsPodReady);
        var updated = pods.Values.Count(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] == revision);
        Cluster.Mutate(ResourceCatalog.StatefulSets, ns, key.Name, s =>
        {
            var status = s["status"] as JsonObject ?? (JsonObject)(s["status"] = new JsonObject());
            var previousCurrent = (string?)status["currentRevision"];
            status["observedGeneration"] = Int(s["metadata"]?["generation"], 1);
            status["replicas"] = pods.Count;
            SetCount(status, "readyReplicas", ready);
            SetCount(status, "availableReplicas", ready);
            SetCount(status, "updatedReplicas", updated);
            status["updateRevision"] = revision;
            var rolledOut = updated == replicas && pods.Count == replicas;
            var currentRevision = rolledOut || previousCurrent is null ? revision : previousCurrent;
            status["currentRevision"] = currentRevision;
            SetCount(status, "currentReplicas", pods.Values.Count(p => (string?)p["metadata"]?["labels"]?["controller-revision-hash"] == currentRevision));
            status["collisionCount"] = 0;
        }, Actor);

        if (failure is not null)
        {
            Enqueue(ResourceCatalog.StatefulSets, ns, key.Name, Options.RetryInterval);
        }
    }

    private string? CreatePod(JsonObject sts, int ordinal, string revision)
    {
        var ns = Namespace(sts)!;
        var name = NameOf(sts);
        var spec = sts["spec"]!.AsObject();
        var podName = $"{name}-{ordinal}";
        var template = (JsonObject)spec["template"]!.DeepClone();
        var podSpec = template["spec"] as JsonObject ?? (JsonObject)(template["spec"] = new JsonObject());
        var volumes = podSpec["volumes"] as JsonArray ?? (JsonArray)(podSpec["volumes"] = new JsonArray());
        foreach (var claimTemplate in (spec["volumeClaimTemplates"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var claimName = $"{(string?)claimTemplate["metadata"]?["name"]}-{podName}";
            if (Cluster.Store.Get(ResourceCatalog.PersistentVolumeClaims, ns, claimName) is null)
            {
                var claimLabels = (spec["selector"]?["matchLabels"] as JsonObject)?.DeepClone() as JsonObject ?? [];
                foreach (var (k, v) in claimTemplate["metadata"]?["labels"] as JsonObject ?? [])
                {
                    claimLabels[k] = v?.DeepClone();
                }

                try
                {
                    Cluster.Create(ResourceCatalog.PersistentVolumeClaims, ns, new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["name"] = claimName, ["labels"] = claimLabels },
                        ["spec"] = claimTemplate["spec"]?.DeepClone(),
                    }, Actor);
                    RecordEvent(ResourceCatalog.StatefulSets, sts, "Normal", "SuccessfulCreate", $"create Claim {claimName} Pod {podName} in StatefulSet {name} success");
                }
                catch (StatusException e)
                {
                    RecordEvent(ResourceCatalog.StatefulSets, sts, "Warning", "FailedCreate", $"create Claim {claimName} for Pod {podName} in StatefulSet {name} failed error: {e.Message}");
                    return e.Message;
                }
            }

            volumes.Add(new JsonObject
            {
                ["name"] = (string?)claimTemplate["metadata"]?["name"],
                ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claimName },
            });
        }

        if (volumes.Count == 0)
        {
            podSpec.Remove("volumes");
        }

        podSpec["hostname"] = podName;
        if ((string?)spec["serviceName"] is { Length: > 0 } serviceName)
        {
            podSpec["subdomain"] = serviceName;
        }

        var pod = PodFromTemplate(template, OwnerReference(ResourceCatalog.StatefulSets, sts), podName, null, new Dictionary<string, string>
        {
            ["controller-revision-hash"] = revision,
            ["statefulset.kubernetes.io/pod-name"] = podName,
            ["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture),
        });
        try
        {
            Cluster.Create(ResourceCatalog.Pods, ns, pod, Actor);
            RecordEvent(ResourceCatalog.StatefulSets, sts, "Normal", "SuccessfulCreate", $"create Pod {podName} in StatefulSet {name} successful");
            return null;
        }
        catch (StatusException e)
        {
            RecordEvent(ResourceCatalog.StatefulSets, sts, "Warning", "FailedCreate", $"create Pod {podName} in StatefulSet {name} failed error: {e.Message}");
            return e.Message;
        }
    }

    private void Delete(JsonObject pod)
    {
        try
        {
            Cluster.Delete(ResourceCatalog.Pods, Namespace(pod), NameOf(pod), null, Actor);
        }
        catch (StatusException e) when (e.Code == 404)
        {
        }
    }

    private static int Ordinal(JsonObject pod, string setName)
    {
        var name = NameOf(pod);
        return name.Length > setName.Length + 1 && int.TryParse(name[(setName.Length + 1)..], CultureInfo.InvariantCulture, out var ordinal) ? ordinal : int.MaxValue - Math.Abs(name.GetHashCode(StringComparison.Ordinal) % 1000);
    }
}

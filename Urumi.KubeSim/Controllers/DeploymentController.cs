using System.Globalization;
using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>Deployment -> ReplicaSet per template (pod-template-hash), rolling old ReplicaSets down, and Deployment status.</summary>
internal sealed class DeploymentController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "deployment-controller";

    public override void OnEvent(WatchEvent e) => EnqueueSelfOrOwner(e, ResourceCatalog.Deployments, ResourceCatalog.ReplicaSets);

    public override void Reconcile(WorkKey key)
    {
        var deployment = Cluster.Store.Get(ResourceCatalog.Deployments, key.Namespace, key.Name);
        if (deployment is null || IsDeleting(deployment))
        {
            return;
        }

        var ns = key.Namespace!;
        var spec = deployment["spec"]!.AsObject();
        var replicas = Int(spec["replicas"], 1);
        var template = spec["template"]!.AsObject();
        var hash = Hash(template);
        var owned = Cluster.Store.List(ResourceCatalog.ReplicaSets, ns, rs => IsOwnedBy(rs, deployment));
        var current = owned.FirstOrDefault(rs => (string?)rs["metadata"]?["labels"]?["pod-template-hash"] == hash);
        var recreate = (string?)spec["strategy"]?["type"] == "Recreate";
        var olds = owned.Where(rs => rs != current).ToList();

        if (current is null)
        {
            if (recreate && olds.Any(rs => Int(rs["status"]?["replicas"]) > 0))
            {
                ScaleOlds(deployment, olds);
                return;
            }

            var revision = owned.Select(rs => long.TryParse((string?)rs["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"], out var r) ? r : 0).DefaultIfEmpty(0).Max() + 1;
            var rsName = $"{key.Name}-{hash}";
            var selector = (JsonObject)spec["selector"]!.DeepClone();
            var matchLabels = selector["matchLabels"] as JsonObject ?? (JsonObject)(selector["matchLabels"] = new JsonObject());
            matchLabels["pod-template-hash"] = hash;
            var rsTemplate = (JsonObject)template.DeepClone();
            var templateMeta = rsTemplate["metadata"] as JsonObject ?? (JsonObject)(rsTemplate["metadata"] = new JsonObject());
            var templateLabels = templateMeta["labels"] as JsonObject ?? (JsonObject)(templateMeta["labels"] = new JsonObject());
            templateLabels["pod-template-hash"] = hash;
            var labels = (JsonObject)templateLabels.DeepClone();
            try
            {
                current = Cluster.Create(ResourceCatalog.ReplicaSets, ns, new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = rsName,
                        ["labels"] = labels,
                        ["annotations"] = new JsonObject
                        {
                            ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture),
                            ["deployment.kubernetes.io/max-replicas"] = (replicas + 1).ToString(CultureInfo.InvariantCulture),
                            ["deployment.kubernetes.io/revision"] = revision.ToString(CultureInfo.InvariantCulture),
                        },
                        ["ownerReferences"] = new JsonArray(OwnerReference(ResourceCatalog.Deployments, deployment)),
                    },
                    ["spec"] = new JsonObject
                    {
                        ["replicas"] = replicas,
                        ["minReadySeconds"] = spec["minReadySeconds"]?.DeepClone() ?? 0,
                        ["selector"] = selector,
                        ["template"] = rsTemplate,
                    },
                }, Actor);
                RecordEvent(ResourceCatalog.Deployments, deployment, "Normal", "ScalingReplicaSet", $"Scaled up replica set {rsName} from 0 to {replicas}");
            }
            catch (StatusException e) when (e.Code == 409)
            {
                current = Cluster.Store.Get(ResourceCatalog.ReplicaSets, ns, rsName);
            }
        }
        else if (Int(current["spec"]?["replicas"]) != replicas)
        {
            var from = Int(current["spec"]?["replicas"]);
            Cluster.Mutate(ResourceCatalog.ReplicaSets, ns, NameOf(current), rs =>
            {
                rs["spec"]!["replicas"] = replicas;
                rs["metadata"]!["annotations"]!["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture);
            }, Actor);
            RecordEvent(ResourceCatalog.Deployments, deployment, "Normal", "ScalingReplicaSet", $"Scaled {(replicas > from ? "up" : "down")} replica set {NameOf(current)} from {from} to {replicas}");
        }

        var available = current is null ? 0 : Int(current["status"]?["availableReplicas"]);
        if (recreate || available >= replicas)
        {
            ScaleOlds(deployment, olds);
        }

        UpdateStatus(deployment, current, olds, replicas);
    }

    private void ScaleOlds(JsonObject deployment, List<JsonObject> olds)
    {
        foreach (var old in olds.Where(rs => Int(rs["spec"]?["replicas"]) > 0))
        {
            var from = Int(old["spec"]?["replicas"]);
            Cluster.Mutate(ResourceCatalog.ReplicaSets, Namespace(old), NameOf(old), rs => rs["spec"]!["replicas"] = 0, Actor);
            RecordEvent(ResourceCatalog.Deployments, deployment, "Normal", "ScalingReplicaSet", $"Scaled down replica set {NameOf(old)} from {from} to 0");
        }
    }

    private void UpdateStatus(JsonObject deployment, JsonObject? current, List<JsonObject> olds, long replicas)
    {
        var all = olds.Concat(current is null ? [] : [current]).ToList();
        long Sum(string field) => all.Sum(rs => Int(rs["status"]?[field]));
        var total = Sum("replicas");
        var ready = Sum("readyReplicas");
        var available = Sum("availableReplicas");
        var updated = current is null ? 0 : Int(current["status"]?["replicas"]);
        var updatedAvailable = current is null ? 0 : Int(current["status"]?["availableReplicas"]);
        var maxUnavailable = MaxUnavailable(deployment["spec"]!.AsObject(), replicas);
        var rsName = current is null ? "" : NameOf(current);
        var complete = updated == replicas && total == replicas && updatedAvailable == replicas
            && current is not null && Int(current["status"]?["observedGeneration"]) >= Int(current["metadata"]?["generation"]);
        var deadline = Int(deployment["spec"]?["progressDeadlineSeconds"], 600);
        var ns = Namespace(deployment);
        var name = NameOf(deployment);

        var progress = $"{updated}/{ready}/{available}";
        var previousProgress = deployment["status"]?["updatedReplicas"] is null && deployment["status"]?["observedGeneration"] is null
            ? null
            : $"{Int(deployment["status"]?["updatedReplicas"])}/{Int(deployment["status"]?["readyReplicas"])}/{Int(deployment["status"]?["availableReplicas"])}";
        Cluster.Mutate(ResourceCatalog.Deployments, ns, name, d =>
        {
            var status = d["status"] as JsonObject ?? (JsonObject)(d["status"] = new JsonObject());
            status["observedGeneration"] = Int(d["metadata"]?["generation"], 1);
            SetCount(status, "replicas", total);
            SetCount(status, "updatedReplicas", updated);
            SetCount(status, "readyReplicas", ready);
            SetCount(status, "availableReplicas", available);
            SetCount(status, "unavailableReplicas", Math.Max(0, Math.Max(replicas, total) - available));
            SetCondition(status, "Available", available >= replicas - maxUnavailable ? "True" : "False",
                available >= replicas - maxUnavailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                available >= replicas - maxUnavailable ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", withUpdateTime: true);

            var progressing = (status["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Progressing");
            var madeProgress = progress != (previousProgress ?? progress);
            if (complete)
            {
                SetCondition(status, "Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rsName}\" has successfully progressed.", withUpdateTime: true);
            }
            else if (progressing is null || (string?)progressing["reason"] == "NewReplicaSetAvailable" || !((string?)progressing["message"] ?? "").Contains($"\"{rsName}\"", StringComparison.Ordinal))
            {
                SetCondition(status, "Progressing", "True", "NewReplicaSetCreated", $"Created new replica set \"{rsName}\"", withUpdateTime: true);
            }
            else if (madeProgress && (string?)progressing["reason"] != "ProgressDeadlineExceeded")
            {
                progressing["lastUpdateTime"] = Cluster.Now();
                SetCondition(status, "Progressing", "True", "ReplicaSetUpdated", $"ReplicaSet \"{rsName}\" is progressing.", withUpdateTime: true);
            }
            else if ((string?)progressing["reason"] != "ProgressDeadlineExceeded"
                && DateTimeOffset.TryParse((string?)progressing["lastUpdateTime"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
                && Cluster.Time.GetUtcNow() - since > TimeSpan.FromSeconds(deadline))
            {
                SetCondition(status, "Progressing", "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{rsName}\" has timed out progressing.", withUpdateTime: true);
            }

            if (current?["status"]?["conditions"] is JsonArray rsConditions
                && rsConditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "ReplicaFailure" && (string?)c["status"] == "True") is { } failure)
            {
                SetCondition(status, "ReplicaFailure", "True", (string?)failure["reason"] ?? "FailedCreate", (string?)failure["message"] ?? "", withUpdateTime: true);
            }
            else
            {
                RemoveCondition(status, "ReplicaFailure");
            }
        }, Actor);

        if (!complete)
        {
            Enqueue(ResourceCatalog.Deployments, ns, name, TimeSpan.FromSeconds(Math.Min(deadline + 1, 5)));
        }
    }

    private static long MaxUnavailable(JsonObject spec, long replicas)
    {
        if ((string?)spec["strategy"]?["type"] == "Recreate")
        {
            return replicas;
        }

        var value = spec["strategy"]?["rollingUpdate"]?["maxUnavailable"];
        if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.EndsWith('%')
            && decimal.TryParse(text[..^1], CultureInfo.InvariantCulture, out var percent))
        {
            return (long)Math.Floor(replicas * percent / 100m);
        }

        return Int(value, 0);
    }
}

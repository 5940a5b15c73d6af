using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>
/// A simulated controller: it maps watch events to keys of objects to look at, and reconciles one key at a time,
/// writing through <see cref="Cluster"/> like any client (so admission applies to what it creates).
/// </summary>
internal abstract class Controller(Cluster cluster, WorkQueue queue)
{
    public const string NodeName = "kubesim-node";
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public abstract string Name { get; }

    protected Cluster Cluster { get; } = cluster;
    protected KubeSimOptions Options => Cluster.Options;
    protected string Actor => "controller:" + Name;

    public abstract void OnEvent(WatchEvent e);

    public abstract void Reconcile(WorkKey key);

    protected void Enqueue(ResourceType type, string? ns, string name, TimeSpan delay = default) =>
        queue.Add(new WorkKey(Name, type, ns, name), delay);

    protected void Enqueue(ResourceType type, JsonObject obj, TimeSpan delay = default) =>
        Enqueue(type, Namespace(obj), NameOf(obj), delay);

    /// <summary>Enqueues the controlling owner of <paramref name="obj"/> when it is of <paramref name="ownerType"/>.</summary>
    protected void EnqueueOwner(ResourceType ownerType, JsonObject? obj)
    {
        if (obj is not null && ControllerOf(obj) is { } owner && (string?)owner["kind"] == ownerType.Kind)
        {
            Enqueue(ownerType, Namespace(obj), (string)owner["name"]!);
        }
    }

    /// <summary>
    /// Whether an event on a controller's own kind asks for work: a new object, a spec change (generation), a
    /// deletion starting, or a label change. Its own status writes do not, so a failing controller cannot spin.
    /// </summary>
    protected static bool WantsReconcile(WatchEvent e) =>
        e.EventType != "DELETED"
        && (e.Previous is null
            || JsonNumbers.Long(e.Previous["metadata"]?["generation"]) != JsonNumbers.Long(e.Object["metadata"]?["generation"])
            || (e.Previous["metadata"]?["deletionTimestamp"] is null) != (e.Object["metadata"]?["deletionTimestamp"] is null)
            || !JsonNode.DeepEquals(e.Previous["metadata"]?["labels"], e.Object["metadata"]?["labels"]));

    protected static string? Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"];

    protected static string NameOf(JsonObject obj) => (string)obj["metadata"]!["name"]!;

    protected static string Uid(JsonObject obj) => (string)obj["metadata"]!["uid"]!;

    protected static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    protected static JsonObject? ControllerOf(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(r => (bool?)r["controller"] == true);

    protected static bool IsOwnedBy(JsonObject obj, JsonObject owner) => (string?)ControllerOf(obj)?["uid"] == Uid(owner);

    protected static JsonObject OwnerReference(ResourceType type, JsonObject owner) => new()
    {
        ["apiVersion"] = type.GroupVersion,
        ["kind"] = type.Kind,
        ["name"] = NameOf(owner),
        ["uid"] = Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    protected static long Int(JsonNode? node, long fallback = 0) => JsonNumbers.Long(node, fallback);

    /// <summary>Sets a status count, leaving it out when zero, as the real controllers' omitempty fields are.</summary>
    protected static void SetCount(JsonObject status, string field, long value)
    {
        if (value == 0)
        {
            status.Remove(field);
        }
        else
        {
            status[field] = value;
        }
    }

    /// <summary>A workload's own object when it asks for work, or the workload that owns a changed <paramref name="child"/>.</summary>
    protected void EnqueueSelfOrOwner(WatchEvent e, ResourceType kind, ResourceType child)
    {
        if (e.Type == kind && WantsReconcile(e))
        {
            Enqueue(e.Type, e.Object);
        }
        else if (e.Type == child)
        {
            EnqueueOwner(kind, e.Object);
        }
    }

    /// <summary>
    /// The events a pod-creating controller of <paramref name="kind"/> reacts to: its own objects, the pods it owns,
    /// and a quota or limit range changing in a namespace, after which all its objects there retry rejected pods.
    /// </summary>
    protected void EnqueueForPodOwner(WatchEvent e, ResourceType kind)
    {
        EnqueueSelfOrOwner(e, kind, ResourceCatalog.Pods);
        if (e.Type == ResourceCatalog.ResourceQuotas || e.Type == ResourceCatalog.LimitRanges)
        {
            foreach (var owner in Cluster.Store.List(kind, Namespace(e.Object)))
            {
                Enqueue(kind, owner);
            }
        }
    }

    protected static bool IsPodReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True");

    protected static bool IsPodActive(JsonObject pod) =>
        !IsDeleting(pod) && (string?)pod["status"]?["phase"] is not ("Succeeded" or "Failed");

    /// <summary>A stable short hash of a JSON value, spelled like Kubernetes' safe-encoded hashes ("5d4f8b7c9").</summary>
    protected static string Hash(JsonNode? value, int length = 10)
    {
        var bytes = Encoding.UTF8.GetBytes(value?.ToJsonString() ?? "");
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        var text = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder();
        foreach (var c in text)
        {
            encoded.Append(SafeAlphabet[(c - '0' + encoded.Length * 7) % SafeAlphabet.Length]);
        }

        return encoded.ToString()[..Math.Min(length, encoded.Length)];
    }

    /// <summary>Writes a condition the way controllers do: lastTransitionTime moves only when the status changes.</summary>
    protected void SetCondition(JsonObject status, string type, string value, string reason, string message, bool withUpdateTime = false)
    {
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        var now = Cluster.Now();
        if (existing is null)
        {
            var condition = new JsonObject { ["type"] = type, ["status"] = value };
            if (withUpdateTime)
            {
                condition["lastUpdateTime"] = now;
            }

            condition["lastTransitionTime"] = now;
            condition["reason"] = reason;
            condition["message"] = message;
            conditions.Add(condition);
            return;
        }

        if ((string?)existing["status"] != value)
        {
            existing["lastTransitionTime"] = now;
        }

        if (withUpdateTime && ((string?)existing["reason"] != reason || (string?)existing["message"] != message || (string?)existing["status"] != value))
        {
            existing["lastUpdateTime"] = now;
        }

        existing["status"] = value;
        existing["reason"] = reason;
        existing["message"] = message;
    }

    protected static void RemoveCondition(JsonObject status, string type)
    {
        if (status["conditions"] is JsonArray conditions)
        {
            foreach (var c in conditions.OfType<JsonObject>().Where(c => (string?)c["type"] == type).ToList())
            {
                conditions.Remove(c);
            }
        }
    }

    /// <summary>
    /// Records a core/v1 Event about an object, folding repeats into a count as the event recorder does; similar
    /// events (same object and reason, other message) are combined as the event correlator combines them.
    /// </summary>
    protected void RecordEvent(ResourceType type, JsonObject about, string eventType, string reason, string message)
    {
        var ns = Namespace(about) ?? "default";
        var name = $"{NameOf(about)}.{Hash(JsonValue.Create(Uid(about) + reason), 16)}";
        try
        {
            var now = Cluster.Now();
            if (Cluster.Store.Get(ResourceCatalog.Events, ns, name) is not null)
            {
                Cluster.Mutate(ResourceCatalog.Events, ns, name, e =>
                {
                    e["count"] = Int(e["count"], 1) + 1;
                    e["lastTimestamp"] = now;
                    if ((string?)e["message"] != message)
                    {
                        e["message"] = "(combined from similar events): " + message;
                    }
                }, Actor);
                return;
            }

            Cluster.Create(ResourceCatalog.Events, ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
                ["involvedObject"] = new JsonObject
                {
                    ["kind"] = type.Kind,
                    ["namespace"] = Namespace(about),
                    ["name"] = NameOf(about),
                    ["uid"] = Uid(about),
                    ["apiVersion"] = type.GroupVersion,
                    ["resourceVersion"] = (string?)about["metadata"]?["resourceVersion"],
                },
                ["reason"] = reason,
                ["message"] = message,
                ["source"] = new JsonObject { ["component"] = Name },
                ["firstTimestamp"] = now,
                ["lastTimestamp"] = now,
                ["count"] = 1,
                ["type"] = eventType,
                ["eventTime"] = null,
                ["reportingComponent"] = Name,
                ["reportingInstance"] = "",
            }, Actor);
        }
        catch (StatusException)
        {
            // Events are best effort, as in a real cluster (the namespace may be terminating).
        }
    }

    protected List<JsonObject> OwnedPods(JsonObject owner) =>
        Cluster.Store.List(ResourceCatalog.Pods, Namespace(owner), p => IsOwnedBy(p, owner));

    /// <summary>Creates a pod for a workload; on failure records FailedCreate and returns the error message.</summary>
    protected string? TryCreatePod(ResourceType ownerType, JsonObject owner, JsonObject pod, string failurePrefix)
    {
        try
        {
            var created = Cluster.Create(ResourceCatalog.Pods, Namespace(owner), pod, Actor);
            RecordEvent(ownerType, owner, "Normal", "SuccessfulCreate", $"Created pod: {NameOf(created)}");
            return null;
        }
        catch (StatusException e)
        {
            RecordEvent(ownerType, owner, "Warning", "FailedCreate", failurePrefix + e.Message);
            return e.Message;
        }
    }

    /// <summary>A pod object from a workload's template.</summary>
    protected static JsonObject PodFromTemplate(JsonObject template, JsonObject ownerReference, string? name, string? generateName, IDictionary<string, string>? extraLabels = null)
    {
        var meta = (template["metadata"] as JsonObject)?.DeepClone() as JsonObject ?? [];
        meta.Remove("creationTimestamp");
        if (name is not null)
        {
            meta["name"] = name;
        }
        else
        {
            meta["generateName"] = generateName;
        }

        var labels = meta["labels"] as JsonObject ?? (JsonObject)(meta["labels"] = new JsonObject());
        foreach (var (key, value) in extraLabels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        meta["ownerReferences"] = new JsonArray(ownerReference);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone(),
        };
    }
}

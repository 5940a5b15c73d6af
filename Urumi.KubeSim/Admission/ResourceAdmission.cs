using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Admission;

/// <summary>
/// The LimitRanger (mutating) and ResourceQuota (validating) admission plugins, and the usage figures the quota
/// controller publishes in status.used.
/// </summary>
public sealed class ResourceAdmission(ObjectStore store)
{
    private static readonly string[] ComputeResources = ["cpu", "memory"];

    /// <summary>Applies LimitRange defaults to a new pod's containers and enforces min/max; PVC storage min/max too.</summary>
    public void ApplyLimitRanges(ResourceType type, string ns, JsonObject obj)
    {
        if (type != ResourceCatalog.Pods && type != ResourceCatalog.PersistentVolumeClaims)
        {
            return;
        }

        var ranges = store.List(ResourceCatalog.LimitRanges, ns);
        if (ranges.Count == 0)
        {
            return;
        }

        var name = (string?)obj["metadata"]?["name"] is { Length: > 0 } n ? n : (string?)obj["metadata"]?["generateName"] ?? "";
        var problems = new List<string>();
        var items = ranges.SelectMany(r => (r["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>()).ToList();
        if (type == ResourceCatalog.PersistentVolumeClaims)
        {
            var request = Quantity.Parse(obj["spec"]?["resources"]?["requests"]?["storage"]);
            foreach (var item in items.Where(i => (string?)i["type"] == "PersistentVolumeClaim"))
            {
                if (item["min"]?["storage"] is { } min && request < Quantity.Parse(min))
                {
                    problems.Add($"minimum storage usage per PersistentVolumeClaim is {min}, but request is {Quantity.Format(request)}");
                }

                if (item["max"]?["storage"] is { } max && request > Quantity.Parse(max))
                {
                    problems.Add($"maximum storage usage per PersistentVolumeClaim is {max}, but request is {Quantity.Format(request)}");
                }
            }
        }
        else
        {
            var set = new List<string>();
            foreach (var container in Containers(obj))
            {
                var containerName = (string?)container["name"] ?? "";
                var resources = container["resources"] as JsonObject ?? (JsonObject)(container["resources"] = new JsonObject());
                var limits = resources["limits"] as JsonObject;
                var requests = resources["requests"] as JsonObject;
                var setRequests = new List<string>();
                var setLimits = new List<string>();
                foreach (var item in items.Where(i => (string?)i["type"] == "Container"))
                {
                    foreach (var resource in ComputeResources)
                    {
                        if (limits?[resource] is null && item["default"]?[resource] is { } defaultLimit)
                        {
                            limits ??= (JsonObject)(resources["limits"] = new JsonObject());
                            limits[resource] = defaultLimit.DeepClone();
                            setLimits.Add(resource);
                        }

                        if (requests?[resource] is null && (item["defaultRequest"]?[resource] ?? limits?[resource]) is { } defaultRequest)
                        {
                            requests ??= (JsonObject)(resources["requests"] = new JsonObject());
                            requests[resource] = defaultRequest.DeepClone();
                            setRequests.Add(resource);
                        }
                    }
                }

                if (setRequests.Count > 0)
                {
                    set.Add($"{string.Join(", ", setRequests.Distinct())} request for container {containerName}");
                }

                if (setLimits.Count > 0)
                {
                    set.Add($"{string.Join(", ", setLimits.Distinct())} limit for container {containerName}");
                }

                foreach (var item in items.Where(i => (string?)i["type"] == "Container"))
                {
                    foreach (var resource in ComputeResources)
                    {
                        if (item["min"]?[resource] is { } min && requests?[resource] is { } request && Quantity.Parse(request) < Quantity.Parse(min))
                        {
                            problems.Add($"minimum {resource} usage per Container is {min}, but request is {request}");
                        }

                        if (item["max"]?[resource] is { } max)
                        {
                            if (limits?[resource] is not { } limit)
                            {
                                problems.Add($"maximum {resource} usage per Container is {max}.  No limit is specified");
                            }
                            else if (Quantity.Parse(limit) > Quantity.Parse(max))
                            {
                                problems.Add($"maximum {resource} usage per Container is {max}, but limit is {limit}");
                            }
                        }
                    }
                }
            }

            if (set.Count > 0)
            {
                var meta = obj["metadata"]!.AsObject();
                var annotations = meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject());
                annotations["kubernetes.io/limit-ranger"] = "LimitRanger plugin set: " + string.Join("; ", set);
            }
        }

        if (problems.Count > 0)
        {
            throw StatusException.Forbidden(type, name, problems.Count == 1 ? problems[0] : "[" + string.Join(", ", problems) + "]");
        }
    }

    /// <summary>Rejects the creation of <paramref name="obj"/> when it would take any quota of its namespace over its hard limit.</summary>
    public void CheckQuota(ResourceType type, string ns, JsonObject obj)
    {
        var quotas = store.List(ResourceCatalog.ResourceQuotas, ns);
        if (quotas.Count == 0)
        {
            return;
        }

        var name = (string?)obj["metadata"]?["name"] is { Length: > 0 } n ? n : (string?)obj["metadata"]?["generateName"] ?? "";
        var delta = Usage(type, obj);
        foreach (var quota in quotas)
        {
            var hard = quota["spec"]?["hard"] as JsonObject;
            if (hard is null)
            {
                continue;
            }

            var quotaName = (string)quota["metadata"]!["name"]!;
            if (type == ResourceCatalog.Pods)
            {
                var missing = new List<string>();
                foreach (var (key, _) in hard)
                {
                    var (kind, resource) = key switch
                    {
                        "cpu" or "requests.cpu" => ("requests", "cpu"),
                        "memory" or "requests.memory" => ("requests", "memory"),
                        "limits.cpu" => ("limits", "cpu"),
                        "limits.memory" => ("limits", "memory"),
                        _ => ("", ""),
                    };
                    if (kind.Length == 0)
                    {
                        continue;
                    }

                    var lacking = Containers(obj).Where(c => c["resources"]?[kind]?[resource] is null).Select(c => (string?)c["name"]).ToList();
                    if (lacking.Count > 0)
                    {
                        missing.Add($"{key} for: {string.Join(",", lacking)}");
                    }
                }

                if (missing.Count > 0)
                {
                    throw StatusException.Forbidden(type, name, $"failed quota: {quotaName}: must specify {string.Join("; ", missing.Distinct())}");
                }
            }

            var used = Used(ns, hard);
            var exceeded = new List<string>();
            foreach (var (key, limit) in hard)
            {
                if (delta.TryGetValue(key, out var add) && add > 0 && used.GetValueOrDefault(key) + add > Quantity.Parse(limit))
                {
                    exceeded.Add(key);
                }
            }

            if (exceeded.Count > 0)
            {
                exceeded.Sort(StringComparer.Ordinal);
                string Figures(Func<string, decimal> value) => string.Join(",", exceeded.Select(k => $"{k}={Quantity.Format(value(k))}"));
                throw StatusException.Forbidden(type, name,
                    $"exceeded quota: {quotaName}, requested: {Figures(k => delta[k])}, used: {Figures(k => used.GetValueOrDefault(k))}, limited: {Figures(k => Quantity.Parse(hard[k]))}");
            }
        }
    }

    /// <summary>What the objects of a namespace use of each resource a quota names (status.used).</summary>
    public Dictionary<string, decimal> Used(string ns, JsonObject hard)
    {
        var used = hard.ToDictionary(p => p.Key, _ => 0m);
        foreach (var type in ResourceCatalog.All.Where(t => t.Namespaced))
        {
            if (!hard.Any(p => Counts(p.Key, type)))
            {
                continue;
            }

            foreach (var obj in store.List(type, ns))
            {
                foreach (var (key, value) in Usage(type, obj))
                {
                    if (used.ContainsKey(key))
                    {
                        used[key] += value;
                    }
                }
            }
        }

        return used;
    }

    private static bool Counts(string quotaKey, ResourceType type) => quotaKey switch
    {
        "pods" or "cpu" or "memory" or "requests.cpu" or "requests.memory" or "limits.cpu" or "limits.memory" => type == ResourceCatalog.Pods,
        "persistentvolumeclaims" or "requests.storage" => type == ResourceCatalog.PersistentVolumeClaims,
        "services" or "services.nodeports" or "services.loadbalancers" => type == ResourceCatalog.Services,
        "secrets" => type == ResourceCatalog.Secrets,
        "configmaps" => type == ResourceCatalog.ConfigMaps,
        "resourcequotas" => type == ResourceCatalog.ResourceQuotas,
        _ when quotaKey.StartsWith("count/", StringComparison.Ordinal) => quotaKey[6..] == type.QualifiedResource,
        _ => false,
    };

    /// <summary>What one object counts against each quota key.</summary>
    private static Dictionary<string, decimal> Usage(ResourceType type, JsonObject obj)
    {
        var usage = new Dictionary<string, decimal> { ["count/" + type.QualifiedResource] = 1 };
        switch (type.Resource)
        {
            case "pods":
                {
                    var phase = (string?)obj["status"]?["phase"];
                    if (phase is "Succeeded" or "Failed" || obj["metadata"]?["deletionTimestamp"] is not null)
                    {
                        return [];
                    }

                    usage["pods"] = 1;
                    foreach (var (kind, resource, key, alias) in new[]
                    {
                        ("requests", "cpu", "requests.cpu", "cpu"), ("requests", "memory", "requests.memory", "memory"),
                        ("limits", "cpu", "limits.cpu", ""), ("limits", "memory", "limits.memory", ""),
                    })
                    {
                        var sum = Containers(obj, includeInit: false).Sum(c => Quantity.Parse(c["resources"]?[kind]?[resource]));
                        var init = (obj["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().Select(c => Quantity.Parse(c["resources"]?[kind]?[resource])).DefaultIfEmpty(0).Max();
                        usage[key] = Math.Max(sum, init);
                        if (alias.Length > 0)
                        {
                            usage[alias] = usage[key];
                        }
                    }

                    break;
                }

            case "persistentvolumeclaims":
                usage["persistentvolumeclaims"] = 1;
                usage["requests.storage"] = Quantity.Parse(obj["spec"]?["resources"]?["requests"]?["storage"]);
                break;
            case "services":
                usage["services"] = 1;
                usage["services.nodeports"] = (string?)obj["spec"]?["type"] is "NodePort" or "LoadBalancer" ? (obj["spec"]?["ports"] as JsonArray)?.Count ?? 0 : 0;
                usage["services.loadbalancers"] = (string?)obj["spec"]?["type"] == "LoadBalancer" ? 1 : 0;
                break;
            case "secrets" or "configmaps" or "resourcequotas":
                usage[type.Resource] = 1;
                break;
        }

        return usage;
    }

    private static IEnumerable<JsonObject> Containers(JsonObject pod, bool includeInit = true) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat(includeInit ? (pod["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>() : []);
}

using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Patching;

/// <summary>
/// Strategic merge patch for the built-in types: lists with a patch merge key (containers and env by name, ports by
/// port or containerPort, volumeMounts by mountPath, conditions by type ...) merge element by element; finalizers
/// merge as a set; the directives $patch (replace, delete, merge), $retainKeys, $deleteFromPrimitiveList and
/// $setElementOrder are honoured (element order directives are accepted and ignored).
/// </summary>
public static class StrategicMergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["imagePullSecrets"] = "name",
        ["resourceClaims"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["hostAliases"] = "ip",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["topologySpreadConstraints"] = "topologyKey",
        ["ports"] = "port",
    };

    private static readonly HashSet<string> PrimitiveSetLists = ["finalizers"];

    public static JsonObject Apply(JsonObject original, JsonObject patch) =>
        MergeObject((JsonObject)original.DeepClone(), patch) ?? [];

    /// <summary>The merge key of a list field, or null when the list is replaced as a whole.</summary>
    public static string? MergeKeyFor(string field, JsonArray? sample)
    {
        if (!MergeKeys.TryGetValue(field, out var key))
        {
            return null;
        }

        // Container ports merge by containerPort, Service ports by port.
        if (field == "ports" && sample?.OfType<JsonObject>().Any(e => e.ContainsKey("containerPort")) == true)
        {
            return "containerPort";
        }

        return key;
    }

    private static JsonObject? MergeObject(JsonObject target, JsonObject patch)
    {
        switch ((string?)patch["$patch"])
        {
            case "replace":
                {
                    var replaced = (JsonObject)patch.DeepClone();
                    replaced.Remove("$patch");
                    return replaced;
                }

            case "delete":
                return null;
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => (string?)k).ToHashSet();
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k) && !patch.ContainsKey(k)).ToList())
            {
                target.Remove(key);
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    var doomed = remove.Select(v => v?.ToJsonString()).ToHashSet();
                    var kept = list.Where(v => !doomed.Contains(v?.ToJsonString())).Select(v => v?.DeepClone()).ToArray();
                    target[field] = new JsonArray(kept);
                }

                continue;
            }

            if (value is null)
            {
                target.Remove(key);
                continue;
            }

            var current = target[key];
            switch (value)
            {
                case JsonObject patchChild when current is JsonObject currentChild:
                    {
                        var merged = MergeObject((JsonObject)currentChild.DeepClone(), patchChild);
                        if (merged is null)
                        {
                            target.Remove(key);
                        }
                        else
                        {
                            target[key] = merged;
                        }

                        break;
                    }

                case JsonObject patchChild:
                    {
                        var created = MergeObject([], patchChild);
                        if (created is not null)
                        {
                            target[key] = created;
                        }

                        break;
                    }

                case JsonArray patchList:
                    target[key] = MergeList(key, current as JsonArray, patchList);
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }

        return target;
    }

    private static JsonArray MergeList(string field, JsonArray? current, JsonArray patch)
    {
        if (patch.OfType<JsonObject>().Any(e => (string?)e["$patch"] == "replace" && e.Count == 1))
        {
            return new JsonArray(patch.Where(e => !(e is JsonObject o && (string?)o["$patch"] == "replace" && o.Count == 1)).Select(e => e?.DeepClone()).ToArray());
        }

        if (PrimitiveSetLists.Contains(field))
        {
            var union = new JsonArray((current ?? []).Select(e => e?.DeepClone()).ToArray());
            foreach (var item in patch)
            {
                if (!union.Any(e => JsonNode.DeepEquals(e, item)))
                {
                    union.Add(item?.DeepClone());
                }
            }

            return union;
        }

        var mergeKey = MergeKeyFor(field, current ?? patch);
        if (mergeKey is null || current is null || !patch.All(e => e is JsonObject))
        {
            return new JsonArray(patch.Where(e => !(e is JsonObject o && o.ContainsKey("$patch"))).Select(e => e?.DeepClone()).ToArray());
        }

        var result = current.Select(e => e?.DeepClone()).ToList();
        foreach (var element in patch.OfType<JsonObject>())
        {
            var keyValue = element[mergeKey];
            var index = result.FindIndex(e => e is JsonObject o && JsonNode.DeepEquals(o[mergeKey], keyValue));
            if ((string?)element["$patch"] == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }

                continue;
            }

            if (index >= 0)
            {
                result[index] = MergeObject((JsonObject)result[index]!, element);
            }
            else
            {
                result.Add(MergeObject([], element));
            }
        }

        return new JsonArray(result.Where(e => e is not null).ToArray());
    }

    /// <summary>
    /// The patch that removes what an earlier applied configuration set and the new one no longer does (server-side
    /// apply's "fields this manager stopped owning"), as a strategic merge patch of nulls and $patch: delete.
    /// </summary>
    public static JsonObject Removals(JsonObject lastApplied, JsonObject applied)
    {
        var patch = new JsonObject();
        foreach (var (key, before) in lastApplied)
        {
            var after = applied[key];
            if (!applied.ContainsKey(key))
            {
                patch[key] = null;
            }
            else if (before is JsonObject b && after is JsonObject a)
            {
                var inner = Removals(b, a);
                if (inner.Count > 0)
                {
                    patch[key] = inner;
                }
            }
            else if (before is JsonArray bl && after is JsonArray al && MergeKeyFor(key, bl) is { } mergeKey && bl.All(e => e is JsonObject))
            {
                var deletions = new JsonArray();
                foreach (var old in bl.OfType<JsonObject>())
                {
                    var match = al.OfType<JsonObject>().FirstOrDefault(n => JsonNode.DeepEquals(n[mergeKey], old[mergeKey]));
                    if (match is null)
                    {
                        deletions.Add(new JsonObject { [mergeKey] = old[mergeKey]?.DeepClone(), ["$patch"] = "delete" });
                    }
                    else
                    {
                        var inner = Removals(old, match);
                        if (inner.Count > 0)
                        {
                            inner[mergeKey] = old[mergeKey]?.DeepClone();
                            deletions.Add(inner);
                        }
                    }
                }

                if (deletions.Count > 0)
                {
                    patch[key] = deletions;
                }
            }
        }

        return patch;
    }
}

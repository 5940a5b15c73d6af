using System.Globalization;
using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Api;

/// <summary>meta.k8s.io/v1 Table answers for kubectl's default output: the name, a status-like column where it helps, and the age.</summary>
public static class Tables
{
    public static JsonObject For(ResourceType type, IReadOnlyList<JsonObject> objects, long resourceVersion, DateTimeOffset now)
    {
        var columns = new List<(string Name, string Type, Func<JsonObject, JsonNode?> Cell)>
        {
            ("Name", "string", o => (string?)o["metadata"]?["name"]),
        };
        switch (type.Resource)
        {
            case "pods":
                columns.Add(("Ready", "string", o =>
                {
                    var statuses = o["status"]?["containerStatuses"] as JsonArray ?? [];
                    var total = (o["spec"]?["containers"] as JsonArray)?.Count ?? 0;
                    return $"{statuses.Count(s => (bool?)s?["ready"] == true)}/{total}";
                }
                ));
                columns.Add(("Status", "string", o => (string?)o["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] ?? (string?)o["status"]?["phase"]));
                break;
            case "deployments" or "statefulsets" or "replicasets":
                columns.Add(("Ready", "string", o => $"{Store.JsonNumbers.Long(o["status"]?["readyReplicas"])}/{Store.JsonNumbers.Long(o["spec"]?["replicas"])}"));
                break;
            case "namespaces" or "persistentvolumeclaims":
                columns.Add(("Status", "string", o => (string?)o["status"]?["phase"]));
                break;
            case "services":
                columns.Add(("Type", "string", o => (string?)o["spec"]?["type"]));
                columns.Add(("Cluster-IP", "string", o => (string?)o["spec"]?["clusterIP"]));
                break;
            case "jobs":
                columns.Add(("Status", "string", o => (o["status"]?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Complete" && (string?)c?["status"] == "True") ? "Complete" : "Running"));
                break;
        }

        columns.Add(("Age", "string", o => Age(o, now)));
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Name == "Name" ? "name" : "",
                ["description"] = c.Name,
                ["priority"] = 0,
            }).ToArray()),
            ["rows"] = new JsonArray(objects.Select(o => (JsonNode)new JsonObject
            {
                ["cells"] = new JsonArray(columns.Select(c => c.Cell(o)?.DeepClone()).ToArray()),
                ["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = o["metadata"]?.DeepClone(),
                },
            }).ToArray()),
        };
    }

    private static string Age(JsonObject obj, DateTimeOffset now)
    {
        if (!DateTimeOffset.TryParse((string?)obj["metadata"]?["creationTimestamp"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return "<unknown>";
        }

        var age = now - created;
        return age.TotalDays >= 1 ? $"{(int)age.TotalDays}d" : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h" : age.TotalMinutes >= 1 ? $"{(int)age.TotalMinutes}m" : $"{Math.Max(0, (int)age.TotalSeconds)}s";
    }
}

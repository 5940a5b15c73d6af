using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Api;

/// <summary>The discovery documents: /version, legacy and aggregated /api and /apis, and OpenAPI v3.</summary>
public static class Discovery
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public static bool WantsAggregated(string? accept) =>
        accept is not null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && accept.Contains("v=v2;", StringComparison.Ordinal);

    public static JsonObject Version(string gitVersion)
    {
        var parts = gitVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts[0],
            ["minor"] = parts.Length > 1 ? parts[1] : "0",
            ["emulationMajor"] = parts[0],
            ["emulationMinor"] = parts.Length > 1 ? parts[1] : "0",
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = "kubesim",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.24.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups().Select(g => (JsonNode)Group(g)).ToArray()),
    };

    public static JsonObject? GroupDocument(string group) => Groups().Contains(group) ? Group(group) : null;

    public static JsonObject ResourceList(string groupVersion)
    {
        var resources = new JsonArray();
        foreach (var type in ResourceCatalog.InGroupVersion(groupVersion))
        {
            var resource = new JsonObject
            {
                ["name"] = type.Resource,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = new JsonArray(type.Verbs.Select(v => (JsonNode?)v).ToArray()),
            };
            if (type.ShortNames.Length > 0)
            {
                resource["shortNames"] = new JsonArray(type.ShortNames.Select(s => (JsonNode?)s).ToArray());
            }

            if (type.Categories is { } categories)
            {
                resource["categories"] = new JsonArray(categories.Select(c => (JsonNode?)c).ToArray());
            }

            resources.Add(resource);
            if (type.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = type.Resource + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                    ["kind"] = type.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = groupVersion,
            ["resources"] = resources,
        };
    }

    /// <summary>APIGroupDiscoveryList for /api (core only) or /apis (every named group).</summary>
    public static JsonObject Aggregated(bool core)
    {
        var items = new JsonArray();
        foreach (var group in core ? [""] : Groups())
        {
            var versions = new JsonArray();
            foreach (var gv in ResourceCatalog.GroupVersions.Where(gv => GroupOf(gv) == group))
            {
                var resources = new JsonArray();
                foreach (var type in ResourceCatalog.InGroupVersion(gv))
                {
                    var responseKind = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind };
                    var resource = new JsonObject
                    {
                        ["resource"] = type.Resource,
                        ["responseKind"] = responseKind,
                        ["scope"] = type.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = type.Singular,
                        ["verbs"] = new JsonArray(type.Verbs.Select(v => (JsonNode?)v).ToArray()),
                    };
                    if (type.ShortNames.Length > 0)
                    {
                        resource["shortNames"] = new JsonArray(type.ShortNames.Select(s => (JsonNode?)s).ToArray());
                    }

                    if (type.Categories is { } categories)
                    {
                        resource["categories"] = new JsonArray(categories.Select(c => (JsonNode?)c).ToArray());
                    }

                    if (type.HasStatus)
                    {
                        resource["subresources"] = new JsonArray(new JsonObject
                        {
                            ["subresource"] = "status",
                            ["responseKind"] = responseKind.DeepClone(),
                            ["verbs"] = new JsonArray("get", "patch", "update"),
                        });
                    }

                    resources.Add(resource);
                }

                versions.Add(new JsonObject { ["version"] = gv.Contains('/') ? gv[(gv.IndexOf('/') + 1)..] : gv, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject
            {
                ["metadata"] = group.Length == 0 ? new JsonObject { ["creationTimestamp"] = null } : new JsonObject { ["name"] = group, ["creationTimestamp"] = null },
                ["versions"] = versions,
            });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    public static JsonObject OpenApiIndex()
    {
        var paths = new JsonObject();
        foreach (var gv in ResourceCatalog.GroupVersions)
        {
            var prefix = PathPrefix(gv);
            paths[prefix] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{prefix}?hash={Hash(gv)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>
    /// A per group-version OpenAPI v3 document with, per kind, the paths clients probe for field validation support
    /// (POST on the collection, PATCH on the object, each with the fieldValidation parameter) and an open schema
    /// tagged with the group-version-kind.
    /// </summary>
    public static JsonObject? OpenApiDocument(string prefix)
    {
        var gv = ResourceCatalog.GroupVersions.FirstOrDefault(g => PathPrefix(g) == prefix);
        if (gv is null)
        {
            return null;
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var type in ResourceCatalog.InGroupVersion(gv))
        {
            JsonNode Gvk() => new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind };
            JsonNode Operation(string action) => new JsonObject
            {
                ["operationId"] = $"{action}{type.Kind}",
                ["parameters"] = new JsonArray(
                    new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } },
                    new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } },
                    new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } }),
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                ["x-kubernetes-action"] = action,
                ["x-kubernetes-group-version-kind"] = Gvk(),
            };
            var collection = $"/{prefix}/{(type.Namespaced ? "namespaces/{namespace}/" : "")}{type.Resource}";
            paths[collection] = new JsonObject { ["post"] = Operation("post"), ["get"] = Operation("list") };
            paths[collection + "/{name}"] = new JsonObject { ["patch"] = Operation("patch"), ["put"] = Operation("put"), ["get"] = Operation("get"), ["delete"] = Operation("delete") };
            schemas[SchemaName(type)] = new JsonObject
            {
                ["type"] = "object",
                ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk()),
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (KubeSim)", ["version"] = "unversioned" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static string SchemaName(ResourceType type) => type.Group switch
    {
        "" => $"io.k8s.api.core.{type.Version}.{type.Kind}",
        _ => $"io.k8s.api.{type.Group.Replace(".k8s.io", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal)}.{type.Version}.{type.Kind}",
    };

    public static string PathPrefix(string groupVersion) => groupVersion.Contains('/') ? $"apis/{groupVersion}" : $"api/{groupVersion}";

    private static string Hash(string gv) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("kubesim:" + gv)))[..32];

    private static string GroupOf(string gv) => gv.Contains('/') ? gv[..gv.IndexOf('/')] : "";

    private static IEnumerable<string> Groups() => ResourceCatalog.GroupVersions.Select(GroupOf).Where(g => g.Length > 0).Distinct();

    private static JsonObject Group(string group)
    {
        var versions = ResourceCatalog.GroupVersions.Where(gv => GroupOf(gv) == group)
            .Select(gv => (JsonNode)new JsonObject { ["groupVersion"] = gv, ["version"] = gv[(gv.IndexOf('/') + 1)..] }).ToArray();
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions),
            ["preferredVersion"] = versions[0].DeepClone(),
        };
    }
}

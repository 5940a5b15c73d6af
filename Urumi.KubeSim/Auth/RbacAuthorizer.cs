using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Auth;

/// <summary>
/// Kubernetes RBAC over the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings in the store: a request is
/// allowed when a ClusterRoleBinding, or a RoleBinding in the request's namespace, binds the user (by
/// ServiceAccount, User or Group) to a role with a rule that matches it (apiGroups, resources with subresources,
/// verbs, resourceNames, nonResourceURLs; "*" anywhere). A ClusterRole with an aggregationRule has the rules of
/// every ClusterRole its selectors match. system:masters may do anything; every authenticated user may read
/// discovery, /version and OpenAPI, as the system:discovery and system:public-info-viewer roles allow.
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    private static readonly string[] PublicPaths = ["/version", "/api", "/apis", "/openapi", "/healthz", "/livez", "/readyz"];

    public bool Allows(UserInfo user, RequestAttributes request)
    {
        if (user.Groups.Contains(UserInfo.Masters))
        {
            return true;
        }
        if (!request.IsResourceRequest && request.Verb == "get" && PublicPaths.Any(p => request.Path == p || request.Path.StartsWith(p + "/", StringComparison.Ordinal)))
        {
            return true;
        }
        lock (store.Gate)
        {
            var rules = new List<JsonObject>();
            foreach (var binding in store.List(ResourceCatalog.ClusterRoleBindings, null).Where(b => Binds(b, user)))
            {
                rules.AddRange(RulesOf(binding, null));
            }
            if (request.Namespace.Length > 0)
            {
                foreach (var binding in store.List(ResourceCatalog.RoleBindings, request.Namespace).Where(b => Binds(b, user)))
                {
                    rules.AddRange(RulesOf(binding, request.Namespace));
                }
            }
            return rules.Any(rule => Matches(rule, request));
        }
    }

    /// <summary>The message the real API server gives with its 403.</summary>
    public static string ForbiddenMessage(UserInfo user, RequestAttributes r)
    {
        if (!r.IsResourceRequest)
        {
            return $"forbidden: User \"{user.Name}\" cannot {r.Verb} path \"{r.Path}\"";
        }
        var qualified = r.Group.Length == 0 ? r.Resource : $"{r.Resource}.{r.Group}";
        var subject = r.Name.Length > 0 ? $"{qualified} \"{r.Name}\" is forbidden" : $"{qualified} is forbidden";
        var scope = r.Namespace.Length > 0 && !(r.Resource == "namespaces") ? $"in the namespace \"{r.Namespace}\"" : "at the cluster scope";
        return $"{subject}: User \"{user.Name}\" cannot {r.Verb} resource \"{r.ResourceWithSubresource}\" in API group \"{r.Group}\" {scope}";
    }

    private static bool Binds(JsonObject binding, UserInfo user) =>
        binding["subjects"] is JsonArray subjects && subjects.OfType<JsonObject>().Any(s => (string?)s["kind"] switch
        {
            "ServiceAccount" => user.Name == $"system:serviceaccount:{s["namespace"]}:{s["name"]}",
            "User" => user.Name == (string?)s["name"],
            "Group" => user.Groups.Contains((string?)s["name"] ?? ""),
            _ => false,
        });

    private IEnumerable<JsonObject> RulesOf(JsonObject binding, string? ns)
    {
        var kind = (string?)binding["roleRef"]?["kind"];
        var name = (string?)binding["roleRef"]?["name"] ?? "";
        var role = kind == "Role" && ns is not null ? store.Get(ResourceCatalog.Roles, ns, name) : kind == "ClusterRole" ? store.Get(ResourceCatalog.ClusterRoles, null, name) : null;
        return role is null ? [] : kind == "ClusterRole" ? ClusterRoleRules(role) : Rules(role);
    }

    /// <summary>A ClusterRole's rules, and with an aggregationRule those of every ClusterRole its selectors pick.</summary>
    private IEnumerable<JsonObject> ClusterRoleRules(JsonObject role)
    {
        var own = Rules(role);
        if (role["aggregationRule"]?["clusterRoleSelectors"] is not JsonArray selectors)
        {
            return own;
        }
        var picked = store.List(ResourceCatalog.ClusterRoles, null).Where(other =>
            !ReferenceEquals(other, role) && selectors.OfType<JsonObject>().Any(selector => LabelSelectorMatches(selector, other)));
        return own.Concat(picked.SelectMany(Rules));
    }

    private static IEnumerable<JsonObject> Rules(JsonObject role) => role["rules"] is JsonArray rules ? rules.OfType<JsonObject>() : [];

    private static bool LabelSelectorMatches(JsonObject selector, JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        string? Label(string key) => (string?)labels?[key];
        var matchLabels = selector["matchLabels"] as JsonObject ?? [];
        if (matchLabels.Any(kv => Label(kv.Key) != (string?)kv.Value))
        {
            return false;
        }
        return (selector["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().All(e =>
        {
            var value = Label((string)e["key"]!);
            var values = (e["values"] as JsonArray ?? []).Select(v => (string?)v).ToList();
            return (string?)e["operator"] switch
            {
                "In" => value is not null && values.Contains(value),
                "NotIn" => value is null || !values.Contains(value),
                "Exists" => value is not null,
                "DoesNotExist" => value is null,
                _ => false,
            };
        });
    }

    private static bool Matches(JsonObject rule, RequestAttributes r)
    {
        var verbs = Strings(rule["verbs"]);
        if (!verbs.Contains("*") && !verbs.Contains(r.Verb))
        {
            return false;
        }
        if (!r.IsResourceRequest)
        {
            return Strings(rule["nonResourceURLs"]).Any(u => u == r.Path || u == "*" || u.EndsWith('*') && r.Path.StartsWith(u[..^1], StringComparison.Ordinal));
        }
        var groups = Strings(rule["apiGroups"]);
        var resources = Strings(rule["resources"]);
        var names = Strings(rule["resourceNames"]);
        return (groups.Contains("*") || groups.Contains(r.Group))
            && resources.Any(x => ResourceMatches(x, r))
            && (names.Count == 0 || r.Name.Length > 0 && names.Contains(r.Name));
    }

    private static bool ResourceMatches(string ruleResource, RequestAttributes r) =>
        ruleResource == "*"
        || ruleResource == r.ResourceWithSubresource
        || r.Subresource.Length > 0 && (ruleResource == $"*/{r.Subresource}" || ruleResource == $"{r.Resource}/*");

    private static List<string> Strings(JsonNode? node) => node is JsonArray array ? array.Select(v => (string?)v ?? "").ToList() : [];
}

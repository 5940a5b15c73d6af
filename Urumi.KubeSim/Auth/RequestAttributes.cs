namespace Urumi.KubeSim.Auth;

/// <summary>Who is calling: a user name and its groups, as the API server's authenticators say.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string Masters = "system:masters";

    public static UserInfo Admin { get; } = new("kubesim-admin", [Masters, "system:authenticated"]);

    public static UserInfo ServiceAccount(string ns, string name) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);
}

/// <summary>
/// What a request asks to do, as the API server's authorizer sees it: a verb on a resource (group, resource,
/// subresource, namespace, name) or on a non-resource path (/version, discovery, OpenAPI).
/// </summary>
public sealed record RequestAttributes(string Verb, bool IsResourceRequest, string Path, string Group, string Resource, string Subresource, string Namespace, string Name)
{
    /// <summary>"deployments", or "deployments/status" for a subresource, as rules name them.</summary>
    public string ResourceWithSubresource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";

    /// <summary>Reads the attributes from the method, path and query, as the real request-info resolver does.</summary>
    public static RequestAttributes From(string method, string path, bool watch)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string[] rest;
        string group;
        if (segments is ["api", _, ..])
        {
            group = "";
            rest = segments[2..];
        }
        else if (segments is ["apis", _, _, ..])
        {
            group = segments[1];
            rest = segments[3..];
        }
        else
        {
            return new RequestAttributes(method.ToLowerInvariant(), false, path, "", "", "", "", "");
        }
        if (rest.Length == 0)
        {
            return new RequestAttributes(method.ToLowerInvariant(), false, path, "", "", "", "", "");
        }
        var ns = "";
        // /namespaces/{ns}/{resource}... is namespaced; /namespaces, /namespaces/{name} and /namespaces/{name}/status|finalize are the namespaces themselves.
        if (rest is ["namespaces", _, _, ..] && rest[2] is not ("status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }
        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : "";
        var subresource = rest.Length > 2 ? rest[2] : "";
        if (resource == "namespaces" && name.Length > 0)
        {
            ns = name;
        }
        var verb = method switch
        {
            "GET" or "HEAD" => name.Length > 0 ? "get" : watch ? "watch" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
            _ => method.ToLowerInvariant(),
        };
        return new RequestAttributes(verb, true, path, group, resource, subresource, ns, name);
    }
}

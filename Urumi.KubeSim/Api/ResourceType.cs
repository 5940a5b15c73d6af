namespace Urumi.KubeSim.Api;

/// <summary>One kind of object the simulated API server serves, as discovery describes it.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Resource,
    string Kind,
    bool Namespaced,
    string[] ShortNames,
    bool HasStatus = true,
    bool HasGeneration = false,
    string[]? Categories = null)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string Singular => Kind.ToLowerInvariant();
    public string ListKind => Kind + "List";

    /// <summary>The name the real server uses in error messages: "deployments.apps", "pods".</summary>
    public string QualifiedResource => Group.Length == 0 ? Resource : $"{Resource}.{Group}";

    /// <summary>"Deployment.apps" as in "Deployment.apps \"x\" is invalid".</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    public string[] Verbs => Resource == "namespaces"
        ? ["create", "delete", "get", "list", "patch", "update", "watch"]
        : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public override string ToString() => QualifiedResource;
}

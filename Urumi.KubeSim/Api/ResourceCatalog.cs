namespace Urumi.KubeSim.Api;

/// <summary>The resources KubeSim serves. Anything else answers 404, as a real server does for unknown resources.</summary>
public static class ResourceCatalog
{
    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", "Namespace", false, ["ns"]);
    public static readonly ResourceType Pods = new("", "v1", "pods", "Pod", true, ["po"], Categories: ["all"]);
    public static readonly ResourceType Services = new("", "v1", "services", "Service", true, ["svc"], Categories: ["all"]);
    public static readonly ResourceType Endpoints = new("", "v1", "endpoints", "Endpoints", true, ["ep"], HasStatus: false);
    public static readonly ResourceType Secrets = new("", "v1", "secrets", "Secret", true, [], HasStatus: false);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true, ["cm"], HasStatus: false);
    public static readonly ResourceType ServiceAccounts = new("", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"], HasStatus: false);
    public static readonly ResourceType PersistentVolumeClaims = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]);
    public static readonly ResourceType ResourceQuotas = new("", "v1", "resourcequotas", "ResourceQuota", true, ["quota"]);
    public static readonly ResourceType LimitRanges = new("", "v1", "limitranges", "LimitRange", true, ["limits"], HasStatus: false);
    public static readonly ResourceType Events = new("", "v1", "events", "Event", true, ["ev"], HasStatus: false);
    public static readonly ResourceType Deployments = new("apps", "v1", "deployments", "Deployment", true, ["deploy"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", true, ["sts"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType ReplicaSets = new("apps", "v1", "replicasets", "ReplicaSet", true, ["rs"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType DaemonSets = new("apps", "v1", "daemonsets", "DaemonSet", true, ["ds"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType Jobs = new("batch", "v1", "jobs", "Job", true, [], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType CronJobs = new("batch", "v1", "cronjobs", "CronJob", true, ["cj"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType Ingresses = new("networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"], HasGeneration: true);
    public static readonly ResourceType NetworkPolicies = new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ["netpol"], HasStatus: false, HasGeneration: true);
    public static readonly ResourceType IngressClasses = new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, [], HasStatus: false, HasGeneration: true);
    public static readonly ResourceType PodDisruptionBudgets = new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"], HasGeneration: true);
    public static readonly ResourceType Roles = new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, [], HasStatus: false);
    public static readonly ResourceType RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, [], HasStatus: false);
    public static readonly ResourceType ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, [], HasStatus: false);
    public static readonly ResourceType ClusterRoleBindings = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, [], HasStatus: false);
    public static readonly ResourceType HorizontalPodAutoscalers = new("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, ["hpa"], HasGeneration: true, Categories: ["all"]);
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true, [], HasStatus: false);
    public static readonly ResourceType StorageClasses = new("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"], HasStatus: false);

    public static readonly IReadOnlyList<ResourceType> All =
    [
        Namespaces, Pods, Services, Endpoints, Secrets, ConfigMaps, ServiceAccounts, PersistentVolumeClaims, ResourceQuotas,
        LimitRanges, Events, Deployments, StatefulSets, ReplicaSets, DaemonSets, Jobs, CronJobs, Ingresses, NetworkPolicies,
        IngressClasses, PodDisruptionBudgets, Roles, RoleBindings, ClusterRoles, ClusterRoleBindings, HorizontalPodAutoscalers,
        Leases, StorageClasses,
    ];

    /// <summary>Group versions in the order discovery lists them (core first).</summary>
    public static readonly IReadOnlyList<string> GroupVersions = All.Select(t => t.GroupVersion).Distinct().ToArray();

    private static readonly Dictionary<(string Gv, string Resource), ResourceType> ByPath =
        All.ToDictionary(t => (t.GroupVersion, t.Resource));

    private static readonly Dictionary<(string ApiVersion, string Kind), ResourceType> ByKind =
        All.ToDictionary(t => (t.GroupVersion, t.Kind));

    public static bool IsServedGroupVersion(string groupVersion) => GroupVersions.Contains(groupVersion);

    public static ResourceType? Find(string groupVersion, string resource) => ByPath.GetValueOrDefault((groupVersion, resource));

    public static ResourceType? FindKind(string apiVersion, string kind) => ByKind.GetValueOrDefault((apiVersion, kind));

    public static IEnumerable<ResourceType> InGroupVersion(string groupVersion) => All.Where(t => t.GroupVersion == groupVersion);
}

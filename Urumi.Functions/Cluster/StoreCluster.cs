using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Urumi.Functions.Cluster;

/// <summary>A namespace as delete sees it: gone, or still there with its phase and the conditions that explain why.</summary>
public sealed record NamespaceState(bool Exists, string? Phase, IReadOnlyList<string> Conditions)
{
    public static readonly NamespaceState Gone = new(false, null, []);
}

/// <summary>
/// The Kubernetes calls of the store lifecycle. Every write is an idempotent apply (create, or replace what is
/// there); it decides nothing about stores.
/// </summary>
public sealed class StoreCluster(IKubernetes kubernetes)
{
    public IKubernetes Kubernetes => kubernetes;

    /// <summary>Creates the namespace; false when one of that name exists (it is left as it is).</summary>
    public async Task<bool> CreateNamespaceAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var body = new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels.ToDictionary() } };
        try
        {
            await kubernetes.CoreV1.CreateNamespaceAsync(body, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets <paramref name="labels"/> on the namespace as it was read: replaced with its resourceVersion, so a change
    /// made since (or another namespace of that name) is a 409 Conflict instead of being overwritten.
    /// </summary>
    public async Task SetNamespaceLabelsAsync(V1Namespace read, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        read.Metadata.Labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in labels)
        {
            read.Metadata.Labels[key] = value;
        }
        await kubernetes.CoreV1.ReplaceNamespaceAsync(read, read.Metadata.Name, cancellationToken: ct);
    }

    /// <summary>The namespace, or null when there is none.</summary>
    public async Task<V1Namespace?> GetNamespaceAsync(string name, CancellationToken ct)
    {
        try
        {
            return await kubernetes.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task ApplyResourceQuotaAsync(V1ResourceQuota quota, CancellationToken ct) => ApplyAsync(
        () => kubernetes.CoreV1.CreateNamespacedResourceQuotaAsync(quota, quota.Namespace(), cancellationToken: ct),
        async () =>
        {
            quota.Metadata.ResourceVersion = (await kubernetes.CoreV1.ReadNamespacedResourceQuotaAsync(quota.Name(), quota.Namespace(), cancellationToken: ct)).ResourceVersion();
            await kubernetes.CoreV1.ReplaceNamespacedResourceQuotaAsync(quota, quota.Name(), quota.Namespace(), cancellationToken: ct);
        });

    public Task ApplyLimitRangeAsync(V1LimitRange range, CancellationToken ct) => ApplyAsync(
        () => kubernetes.CoreV1.CreateNamespacedLimitRangeAsync(range, range.Namespace(), cancellationToken: ct),
        async () =>
        {
            range.Metadata.ResourceVersion = (await kubernetes.CoreV1.ReadNamespacedLimitRangeAsync(range.Name(), range.Namespace(), cancellationToken: ct)).ResourceVersion();
            await kubernetes.CoreV1.ReplaceNamespacedLimitRangeAsync(range, range.Name(), range.Namespace(), cancellationToken: ct);
        });

    public Task ApplyNetworkPolicyAsync(V1NetworkPolicy policy, CancellationToken ct) => ApplyAsync(
        () => kubernetes.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, policy.Namespace(), cancellationToken: ct),
        async () =>
        {
            policy.Metadata.ResourceVersion = (await kubernetes.NetworkingV1.ReadNamespacedNetworkPolicyAsync(policy.Name(), policy.Namespace(), cancellationToken: ct)).ResourceVersion();
            await kubernetes.NetworkingV1.ReplaceNamespacedNetworkPolicyAsync(policy, policy.Name(), policy.Namespace(), cancellationToken: ct);
        });

    public async Task<bool> SecretExistsAsync(string ns, string name, CancellationToken ct)
    {
        try
        {
            await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Creates the Secret; false when one of that name exists already (it is left as it is).</summary>
    public async Task<bool> CreateSecretAsync(V1Secret secret, CancellationToken ct)
    {
        try
        {
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, secret.Namespace(), cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes the namespace that was read (foreground), with its uid as a precondition: another namespace of that
    /// name made since is a 409 Conflict, not deleted. False when there was none.
    /// </summary>
    public async Task<bool> DeleteNamespaceAsync(V1Namespace read, CancellationToken ct)
    {
        try
        {
            var options = new V1DeleteOptions { PropagationPolicy = "Foreground", Preconditions = new V1Preconditions { Uid = read.Metadata.Uid } };
            await kubernetes.CoreV1.DeleteNamespaceAsync(read.Metadata.Name, options, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>A namespace as delete sees it (none is <see cref="NamespaceState.Gone"/>).</summary>
    public static NamespaceState StateOf(V1Namespace? ns)
    {
        if (ns is null)
        {
            return NamespaceState.Gone;
        }
        var conditions = (ns.Status?.Conditions ?? []).Where(c => c.Status == "True").Select(c => $"{c.Type}: {c.Message}").ToList();
        var finalizers = ns.Spec?.Finalizers ?? [];
        if (finalizers.Count > 0)
        {
            conditions.Add($"spec.finalizers: {string.Join(", ", finalizers)}");
        }
        return new NamespaceState(true, ns.Status?.Phase, conditions);
    }

    /// <summary>Everything a rollout verdict needs from one namespace.</summary>
    public async Task<RolloutSnapshot> SnapshotAsync(string ns, CancellationToken ct)
    {
        var deployments = kubernetes.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: ct);
        var statefulSets = kubernetes.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: ct);
        var jobs = kubernetes.BatchV1.ListNamespacedJobAsync(ns, cancellationToken: ct);
        var replicaSets = kubernetes.AppsV1.ListNamespacedReplicaSetAsync(ns, cancellationToken: ct);
        var pods = kubernetes.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: ct);
        var events = kubernetes.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: ct);
        var ingresses = kubernetes.NetworkingV1.ListNamespacedIngressAsync(ns, cancellationToken: ct);
        var certificates = CertificatesAsync(ns, ct);
        await Task.WhenAll(deployments, statefulSets, jobs, replicaSets, pods, events, ingresses, certificates);
        return new RolloutSnapshot(deployments.Result.Items, statefulSets.Result.Items, jobs.Result.Items, replicaSets.Result.Items, pods.Result.Items,
            events.Result.Items, ingresses.Result.Items, certificates.Result);
    }

    /// <summary>The cert-manager Certificates of a namespace with their Ready condition; none when cert-manager is not installed.</summary>
    private async Task<IReadOnlyList<CertificateState>> CertificatesAsync(string ns, CancellationToken ct)
    {
        JsonElement list;
        try
        {
            list = (JsonElement)await kubernetes.CustomObjects.ListNamespacedCustomObjectAsync("cert-manager.io", "v1", ns, "certificates", cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        var certificates = new List<CertificateState>();
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            var name = item.GetProperty("metadata").GetProperty("name").GetString()!;
            var ready = item.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions)
                ? conditions.EnumerateArray().FirstOrDefault(c => c.GetProperty("type").GetString() == "Ready")
                : default;
            certificates.Add(ready.ValueKind == JsonValueKind.Object
                ? new CertificateState(name, ready.GetProperty("status").GetString() == "True", Text(ready, "reason"), Text(ready, "message"))
                : new CertificateState(name, null, null, null));
        }
        return certificates;
    }

    private static string? Text(JsonElement e, string property) => e.TryGetProperty(property, out var value) ? value.GetString() : null;

    /// <summary>True when the API server answers /version.</summary>
    public async Task<bool> AnswersAsync(CancellationToken ct)
    {
        try
        {
            await kubernetes.Version.GetCodeAsync(ct);
            return true;
        }
        catch (Exception e) when (ClusterErrors.IsTransient(e))
        {
            return false;
        }
    }

    private static async Task ApplyAsync(Func<Task> create, Func<Task> replace)
    {
        try
        {
            await create();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            await replace();
        }
    }
}

/// <summary>Which failures of a Kubernetes call are worth another try.</summary>
public static class ClusterErrors
{
    public static bool IsTransient(Exception e) => e switch
    {
        HttpOperationException h => h.Response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict || (int)h.Response.StatusCode >= 500,
        HttpRequestException or IOException or TimeoutException or System.Net.Sockets.SocketException => true,
        TaskCanceledException when e.InnerException is TimeoutException => true,
        _ => e.InnerException is not null && IsTransient(e.InnerException),
    };
}

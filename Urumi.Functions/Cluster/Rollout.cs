using k8s.Models;

namespace Urumi.Functions.Cluster;

/// <summary>
/// The workloads, pods and events of one namespace at one moment, and its Ingresses with the cert-manager
/// Certificates in it (none where cert-manager is not installed).
/// </summary>
public sealed record RolloutSnapshot(
    IList<V1Deployment> Deployments,
    IList<V1StatefulSet> StatefulSets,
    IList<V1Job> Jobs,
    IList<V1ReplicaSet> ReplicaSets,
    IList<V1Pod> Pods,
    IList<Corev1Event> Events,
    IList<V1Ingress>? Ingresses = null,
    IReadOnlyList<CertificateState>? Certificates = null);

/// <summary>A cert-manager Certificate's Ready condition (Ready null: cert-manager has not reported yet).</summary>
public sealed record CertificateState(string Name, bool? Ready, string? Reason, string? Message);

/// <summary>Why a workload is not rolled out. Reason is one of the RolloutReasons.</summary>
public sealed record RolloutProblem(string Kind, string Name, string Reason, string Message)
{
    public override string ToString() => $"{Kind} {Name}: {Reason}: {Message}";
}

/// <summary>The verdict on every Deployment, StatefulSet and Job of a namespace.</summary>
public sealed record RolloutReport(int Workloads, IReadOnlyList<RolloutProblem> Problems)
{
    public bool Ready => Problems.Count == 0;

    /// <summary>The most telling cause first: quota, image pull, crash loop, probe failure, then the rest.</summary>
    public string Summary => Problems.Count == 0
        ? $"{Workloads} workloads rolled out"
        : string.Join("; ", Problems.OrderBy(p => Array.IndexOf(RolloutReasons.BySeverity, p.Reason)).Select(p => p.ToString()));
}

public static class RolloutReasons
{
    public const string QuotaExceeded = "QuotaExceeded";
    public const string ImagePullFailure = "ImagePullFailure";
    public const string CrashLoop = "CrashLoop";
    public const string ProbeFailure = "ProbeFailure";
    public const string JobFailed = "JobFailed";
    public const string CreateFailed = "CreateFailed";
    public const string NotReady = "NotReady";
    public const string CertificateNotReady = "CertificateNotReady";

    public static readonly string[] BySeverity = [QuotaExceeded, ImagePullFailure, CrashLoop, ProbeFailure, JobFailed, CreateFailed, NotReady, CertificateNotReady];
}

/// <summary>Reads a snapshot the way `kubectl rollout status` does, and names the cause of what is not ready.</summary>
public static class Rollout
{
    public static RolloutReport Verify(RolloutSnapshot s)
    {
        var problems = new List<RolloutProblem>();
        foreach (var d in s.Deployments)
        {
            var want = d.Spec.Replicas ?? 1;
            var status = d.Status;
            var done = (status?.ObservedGeneration ?? 0) >= (d.Metadata.Generation ?? 0)
                && (status?.UpdatedReplicas ?? 0) >= want && (status?.AvailableReplicas ?? 0) >= want && (status?.Replicas ?? 0) <= want;
            if (!done)
            {
                var owned = s.ReplicaSets.Where(rs => OwnedBy(rs.Metadata, d.Metadata.Uid)).ToList();
                var failure = status?.Conditions?.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True")?.Message
                    ?? owned.SelectMany(rs => rs.Status?.Conditions ?? []).FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True")?.Message;
                var uids = owned.Select(rs => rs.Metadata.Uid).Append(d.Metadata.Uid).ToHashSet();
                problems.Add(Explain("Deployment", d.Metadata.Name, $"{status?.AvailableReplicas ?? 0}/{want} available", failure, PodsOf(s, uids), EventsOf(s, uids)));
            }
        }
        foreach (var sts in s.StatefulSets)
        {
            var want = sts.Spec.Replicas ?? 1;
            var status = sts.Status;
            var done = (status?.ObservedGeneration ?? 0) >= (sts.Metadata.Generation ?? 0) && (status?.ReadyReplicas ?? 0) >= want
                && (status?.UpdatedReplicas ?? want) >= want;
            if (!done)
            {
                var uids = new HashSet<string> { sts.Metadata.Uid };
                var failure = EventsOf(s, uids).LastOrDefault(e => e.Reason == "FailedCreate")?.Message;
                problems.Add(Explain("StatefulSet", sts.Metadata.Name, $"{status?.ReadyReplicas ?? 0}/{want} ready", failure, PodsOf(s, uids), EventsOf(s, uids)));
            }
        }
        foreach (var job in s.Jobs)
        {
            var conditions = job.Status?.Conditions ?? [];
            if (conditions.Any(c => c.Type == "Complete" && c.Status == "True"))
            {
                continue;
            }
            var uids = new HashSet<string> { job.Metadata.Uid };
            var failed = conditions.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
            var failure = failed is null ? EventsOf(s, uids).LastOrDefault(e => e.Reason == "FailedCreate")?.Message : null;
            var problem = Explain("Job", job.Metadata.Name, failed is null ? "not complete" : $"failed: {failed.Reason}: {failed.Message}", failure, PodsOf(s, uids), EventsOf(s, uids));
            problems.Add(failed is not null && problem.Reason == RolloutReasons.NotReady ? problem with { Reason = RolloutReasons.JobFailed } : problem);
        }
        problems.AddRange(CertificateProblems(s));
        return new RolloutReport(s.Deployments.Count + s.StatefulSets.Count + s.Jobs.Count, problems);
    }

    /// <summary>
    /// An Ingress that asks cert-manager for its certificate (an issuer annotation, a TLS secret) is served only
    /// once that Certificate (cert-manager names it after the secret) is Ready. An Ingress without a TLS secret
    /// is served by the ingress controller's default (wildcard) certificate and waits for nothing.
    /// </summary>
    public static IEnumerable<RolloutProblem> CertificateProblems(RolloutSnapshot s)
    {
        foreach (var ingress in s.Ingresses ?? [])
        {
            var annotations = ingress.Metadata.Annotations ?? new Dictionary<string, string>();
            if (!annotations.ContainsKey("cert-manager.io/cluster-issuer") && !annotations.ContainsKey("cert-manager.io/issuer"))
            {
                continue;
            }
            foreach (var secret in (ingress.Spec.Tls ?? []).Select(t => t.SecretName).Where(n => !string.IsNullOrEmpty(n)).Distinct())
            {
                var certificate = s.Certificates?.FirstOrDefault(c => c.Name == secret);
                if (certificate is null)
                {
                    yield return new RolloutProblem("Certificate", secret, RolloutReasons.CertificateNotReady,
                        $"Ingress {ingress.Metadata.Name} waits for cert-manager to create Certificate {secret} (is cert-manager installed?)");
                }
                else if (certificate.Ready != true)
                {
                    yield return new RolloutProblem("Certificate", secret, RolloutReasons.CertificateNotReady,
                        $"{certificate.Reason ?? "Pending"}: {certificate.Message ?? "cert-manager has not reported on it yet"}");
                }
            }
        }
    }

    private static RolloutProblem Explain(string kind, string name, string state, string? createFailure, IReadOnlyList<V1Pod> pods, IReadOnlyList<Corev1Event> events)
    {
        if (createFailure is not null)
        {
            var quota = createFailure.Contains("exceeded quota", StringComparison.Ordinal) || createFailure.Contains("forbidden", StringComparison.Ordinal) && createFailure.Contains("quota", StringComparison.Ordinal);
            return new RolloutProblem(kind, name, quota ? RolloutReasons.QuotaExceeded : RolloutReasons.CreateFailed, $"{state}; {createFailure}");
        }
        foreach (var pod in pods)
        {
            var statuses = (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []);
            foreach (var c in statuses)
            {
                var waiting = c.State?.Waiting;
                if (waiting?.Reason is "ImagePullBackOff" or "ErrImagePull" or "InvalidImageName")
                {
                    return new RolloutProblem(kind, name, RolloutReasons.ImagePullFailure, $"{state}; pod {pod.Metadata.Name} container {c.Name}: {waiting.Reason}: {waiting.Message}");
                }
                if (waiting?.Reason is "CrashLoopBackOff" || c.State?.Terminated is { ExitCode: not 0 } && pod.Spec?.RestartPolicy == "Never")
                {
                    var detail = waiting?.Message ?? $"exited with {c.State?.Terminated?.ExitCode}: {c.State?.Terminated?.Reason}";
                    return new RolloutProblem(kind, name, RolloutReasons.CrashLoop, $"{state}; pod {pod.Metadata.Name} container {c.Name}: {waiting?.Reason ?? "Error"}: {detail} (restarts: {c.RestartCount})");
                }
            }
        }
        var podNames = pods.Select(p => p.Metadata.Name).ToHashSet();
        var unhealthy = events.LastOrDefault(e => e.Reason == "Unhealthy" && podNames.Contains(e.InvolvedObject?.Name ?? ""));
        if (unhealthy is not null)
        {
            return new RolloutProblem(kind, name, RolloutReasons.ProbeFailure, $"{state}; pod {unhealthy.InvolvedObject.Name}: {unhealthy.Message}");
        }
        var warning = events.LastOrDefault(e => e.Type == "Warning");
        return new RolloutProblem(kind, name, RolloutReasons.NotReady, warning is null ? state : $"{state}; {warning.Reason}: {warning.Message}");
    }

    private static bool OwnedBy(V1ObjectMeta meta, string uid) => meta.OwnerReferences?.Any(o => o.Uid == uid) == true;

    private static List<V1Pod> PodsOf(RolloutSnapshot s, HashSet<string> ownerUids) =>
        s.Pods.Where(p => p.Metadata.OwnerReferences?.Any(o => ownerUids.Contains(o.Uid)) == true).ToList();

    private static List<Corev1Event> EventsOf(RolloutSnapshot s, HashSet<string> ownerUids)
    {
        var pods = PodsOf(s, ownerUids);
        var uids = pods.Select(p => p.Metadata.Uid).Concat(ownerUids).ToHashSet();
        var names = pods.Select(p => p.Metadata.Name)
            .Concat(s.Deployments.Select(d => d.Metadata).Concat(s.ReplicaSets.Select(r => r.Metadata)).Concat(s.StatefulSets.Select(x => x.Metadata)).Concat(s.Jobs.Select(j => j.Metadata))
                .Where(m => ownerUids.Contains(m.Uid)).Select(m => m.Name))
            .ToHashSet();
        return s.Events
            .Where(e => e.InvolvedObject is { } o && (o.Uid is { Length: > 0 } uid ? uids.Contains(uid) : names.Contains(o.Name ?? "")))
            .OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp)
            .ToList();
    }
}

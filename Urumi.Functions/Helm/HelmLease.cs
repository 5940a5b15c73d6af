using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Urumi.Functions.Helm;

/// <summary>
/// Who runs helm on a release, as a Kubernetes Lease (coordination.k8s.io/v1) named urumi-helm-RELEASE in the
/// release's namespace: every control plane sharing the cluster sees it, whatever task hub or worker it runs.
/// Besides the Lease's holder and renew time, its annotations name the holder's process (host, pid, start time),
/// the helm process it started, and a stop request from a newer operation. Writes are replaces with the
/// resourceVersion read, so two control planes never both believe they took it. It decides nothing:
/// <see cref="ReleaseExclusion"/> does.
/// </summary>
public sealed class HelmLease(IKubernetes kubernetes)
{
    private const string Prefix = "urumi.io/helm-";

    public static string Name(string release) => $"urumi-helm-{release}";

    /// <summary>The lease as it is now, or null when nobody ever held it.</summary>
    public async Task<LeaseState?> ReadAsync(string release, string ns, CancellationToken ct)
    {
        try
        {
            return LeaseState.From(await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(Name(release), ns, cancellationToken: ct));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="state"/> over <paramref name="read"/> (null: creates it); false when someone wrote it in between.</summary>
    public async Task<LeaseState?> WriteAsync(string release, string ns, LeaseState? read, LeaseState state, CancellationToken ct)
    {
        var lease = state.ToLease(Name(release), read?.ResourceVersion);
        try
        {
            var written = read is null
                ? await kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(lease, ns, cancellationToken: ct)
                : await kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, ns, cancellationToken: ct);
            return LeaseState.From(written);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    /// <summary>A Lease's holder and what it records about its processes; an empty <see cref="Token"/> is a free lease.</summary>
    public sealed record LeaseState(
        string Token,
        string Operation,
        string Host,
        int Pid,
        DateTime PidStarted,
        int? HelmPid,
        DateTime? HelmStarted,
        DateTime RenewTime,
        TimeSpan Duration,
        string? StopRequestedBy,
        string? ResourceVersion = null)
    {
        public bool IsFree => Token.Length == 0;

        public static LeaseState Free(TimeSpan duration, DateTime now) => new("", "", "", 0, default, null, null, now, duration, null);

        internal static LeaseState From(V1Lease lease)
        {
            var a = lease.Metadata.Annotations ?? new Dictionary<string, string>();
            string? Get(string key) => a.TryGetValue(Prefix + key, out var v) && v.Length > 0 ? v : null;
            return new LeaseState(
                lease.Spec?.HolderIdentity ?? "",
                Get("operation") ?? "",
                Get("host") ?? "",
                int.TryParse(Get("pid"), CultureInfo.InvariantCulture, out var pid) ? pid : 0,
                ParseTime(Get("pid-started")) ?? default,
                int.TryParse(Get("helm-pid"), CultureInfo.InvariantCulture, out var helmPid) ? helmPid : null,
                ParseTime(Get("helm-started")),
                (lease.Spec?.RenewTime ?? lease.Spec?.AcquireTime ?? DateTime.MinValue).ToUniversalTime(),
                TimeSpan.FromSeconds(lease.Spec?.LeaseDurationSeconds ?? 0),
                Get("stop-requested-by"),
                lease.Metadata.ResourceVersion);
        }

        internal V1Lease ToLease(string name, string? resourceVersion) => new()
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                ResourceVersion = resourceVersion,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "urumi" },
                Annotations = new Dictionary<string, string>
                {
                    [Prefix + "operation"] = Operation,
                    [Prefix + "host"] = Host,
                    [Prefix + "pid"] = Pid == 0 ? "" : Pid.ToString(CultureInfo.InvariantCulture),
                    [Prefix + "pid-started"] = FormatTime(IsFree ? null : PidStarted),
                    [Prefix + "helm-pid"] = HelmPid?.ToString(CultureInfo.InvariantCulture) ?? "",
                    [Prefix + "helm-started"] = FormatTime(HelmStarted),
                    [Prefix + "stop-requested-by"] = StopRequestedBy ?? "",
                },
            },
            Spec = new V1LeaseSpec
            {
                HolderIdentity = Token,
                RenewTime = RenewTime,
                LeaseDurationSeconds = (int)Math.Ceiling(Duration.TotalSeconds),
            },
        };

        private static string FormatTime(DateTime? time) => time?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) ?? "";

        private static DateTime? ParseTime(string? text) =>
            DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t.ToUniversalTime() : null;
    }
}

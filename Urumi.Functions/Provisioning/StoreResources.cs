using System.Security.Cryptography;
using k8s.Models;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Provisioning;

/// <summary>The objects Urumi puts in a store's namespace before helm runs, built from the store alone.</summary>
public static class StoreResources
{
    public const string ManagedBy = "urumi";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string StoreIdLabel = "urumi.dev/store-id";
    public const string OwnerLabel = "urumi.dev/owner";
    public const string QuotaName = "store-quota";
    public const string LimitRangeName = "store-limits";
    public const string NetworkPolicyName = "store-default-deny";

    public static string SecretName(string storeId) => $"{storeId}-credentials";

    public static Dictionary<string, string> NamespaceLabels(StoreRequest r) => new()
    {
        [ManagedByLabel] = ManagedBy,
        [StoreIdLabel] = r.StoreId,
        [OwnerLabel] = LabelValue(r.Owner),
        ["urumi.dev/engine"] = r.Engine,
        ["pod-security.kubernetes.io/enforce"] = "restricted",
        ["pod-security.kubernetes.io/audit"] = "restricted",
        ["pod-security.kubernetes.io/warn"] = "restricted",
    };

    public static V1ResourceQuota Quota(string ns, IReadOnlyDictionary<string, string> hard) => new()
    {
        Metadata = Meta(QuotaName, ns),
        Spec = new V1ResourceQuotaSpec { Hard = hard.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)) },
    };

    public static V1LimitRange LimitRange(string ns) => new()
    {
        Metadata = Meta(LimitRangeName, ns),
        Spec = new V1LimitRangeSpec
        {
            Limits =
            [
                new V1LimitRangeItem
                {
                    Type = "Container",
                    DefaultRequest = StorePlans.LimitRangeDefaultRequest.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)),
                    DefaultProperty = StorePlans.LimitRangeDefault.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)),
                },
            ],
        },
    };

    /// <summary>
    /// Deny by default; admit the ingress controller, traffic inside the namespace, and DNS (53, UDP and TCP) to
    /// any destination: the cluster's resolver may be kube-dns pods, NodeLocal DNSCache on the node's host network
    /// (169.254.20.10), CoreDNS under other labels or the VPC's resolver, and a policy naming one of them breaks
    /// every lookup on the others.
    /// </summary>
    public static V1NetworkPolicy DefaultDeny(string ns, string ingressNamespace) => new()
    {
        Metadata = Meta(NetworkPolicyName, ns),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector(),
            PolicyTypes = ["Ingress", "Egress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector() }] },
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = ingressNamespace } } }],
                },
            ],
            Egress =
            [
                new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector() }] },
                new V1NetworkPolicyEgressRule
                {
                    Ports = [new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 }],
                },
            ],
        },
    };

    /// <summary>The chart's credentials Secret with freshly generated values (the keys each chart reads).</summary>
    public static V1Secret Credentials(string ns, string storeId, string engine)
    {
        var keys = engine == "woocommerce"
            ? new[] { "mariadb-root-password", "mariadb-password", "wordpress-admin-password" }
                .Select(k => (k, 32))
                .Concat(new[] { "auth", "secure-auth", "logged-in", "nonce" }.SelectMany(n => new[] { ($"wordpress-{n}-key", 64), ($"wordpress-{n}-salt", 64) }))
            : [("postgres-password", 32), ("jwt-secret", 64), ("cookie-secret", 64), ("medusa-admin-password", 32)];
        return new V1Secret
        {
            Metadata = Meta(SecretName(storeId), ns),
            Type = "Opaque",
            StringData = keys.ToDictionary(k => k.Item1, k => Generate(k.Item2)),
        };
    }

    /// <summary>Random letters and digits from the operating system's CSPRNG.</summary>
    public static string Generate(int length) =>
        RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", length);

    /// <summary>A label value (63 characters of [-A-Za-z0-9_.], alphanumeric at both ends).</summary>
    public static string LabelValue(string text)
    {
        var cleaned = new string(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        cleaned = cleaned.Length > 63 ? cleaned[..63] : cleaned;
        return cleaned.Trim('-', '_', '.');
    }

    private static V1ObjectMeta Meta(string name, string ns) => new()
    {
        Name = name,
        NamespaceProperty = ns,
        Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = ManagedBy, ["app.kubernetes.io/part-of"] = "urumi" },
    };
}

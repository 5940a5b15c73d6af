using k8s.Models;

namespace Urumi.Charts.Tests.Support;

/// <summary>
/// The guardrails the control plane puts in every store namespace of the small plan
/// (provisioning-reference section 1: the figures of the system Urumi replaces).
/// </summary>
public static class StoreQuota
{
    public static readonly IReadOnlyDictionary<string, string> Hard = new Dictionary<string, string>
    {
        ["requests.cpu"] = "1",
        ["requests.memory"] = "1Gi",
        ["limits.cpu"] = "2",
        ["limits.memory"] = "2Gi",
        ["persistentvolumeclaims"] = "2",
        ["pods"] = "10",
    };

    public static V1ResourceQuota ResourceQuota() => new()
    {
        Metadata = new V1ObjectMeta { Name = "store-quota" },
        Spec = new V1ResourceQuotaSpec { Hard = Hard.ToDictionary(kv => kv.Key, kv => new ResourceQuantity(kv.Value)) },
    };

    public static V1LimitRange LimitRange() => new()
    {
        Metadata = new V1ObjectMeta { Name = "store-limits" },
        Spec = new V1LimitRangeSpec
        {
            Limits =
            [
                new V1LimitRangeItem
                {
                    Type = "Container",
                    DefaultRequest = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
                    DefaultProperty = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("256Mi") },
                },
            ],
        },
    };

    public static decimal Amount(string name) => new ResourceQuantity(Hard[name]).ToDecimal();
}

using System.Text.RegularExpressions;

namespace Urumi.Functions.Stores;

/// <summary>
/// What each plan may use: the namespace's ResourceQuota (spec.hard) and the LimitRange defaults for containers
/// that declare nothing. Urumi:Plans:{plan}:{resource} overrides a quota entry.
/// </summary>
public static partial class StorePlans
{
    public static readonly string[] Names = ["small", "medium"];

    private static readonly Dictionary<string, Dictionary<string, string>> Defaults = new(StringComparer.Ordinal)
    {
        ["small"] = new(StringComparer.Ordinal)
        {
            ["requests.cpu"] = "1",
            ["requests.memory"] = "1Gi",
            ["limits.cpu"] = "2",
            ["limits.memory"] = "2Gi",
            ["persistentvolumeclaims"] = "2",
            ["pods"] = "10",
            ["requests.storage"] = "10Gi",
        },
        ["medium"] = new(StringComparer.Ordinal)
        {
            ["requests.cpu"] = "2",
            ["requests.memory"] = "3Gi",
            ["limits.cpu"] = "4",
            ["limits.memory"] = "6Gi",
            ["persistentvolumeclaims"] = "4",
            ["pods"] = "20",
            ["requests.storage"] = "40Gi",
        },
    };

    public static readonly IReadOnlyDictionary<string, string> LimitRangeDefaultRequest = new Dictionary<string, string> { ["cpu"] = "100m", ["memory"] = "128Mi" };

    public static readonly IReadOnlyDictionary<string, string> LimitRangeDefault = new Dictionary<string, string> { ["cpu"] = "500m", ["memory"] = "256Mi" };

    /// <summary>The quota of <paramref name="plan"/> with the configured overrides applied.</summary>
    public static IReadOnlyDictionary<string, string> Quota(string plan, IReadOnlyDictionary<string, Dictionary<string, string>> overrides)
    {
        var quota = new Dictionary<string, string>(Defaults[plan], StringComparer.Ordinal);
        if (overrides.TryGetValue(plan, out var changes))
        {
            foreach (var (resource, value) in changes)
            {
                quota[resource] = value;
            }
        }
        return quota;
    }

    public static bool IsQuantity(string value) => Quantity().IsMatch(value);

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    private static partial Regex Quantity();
}

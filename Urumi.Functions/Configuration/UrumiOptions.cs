using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Urumi.Functions.Configuration;

/// <summary>How Urumi reaches a cluster (Urumi:Cluster:Mode).</summary>
public enum ClusterMode
{
    /// <summary>The current kubeconfig context when its API server answers, else an in-process simulator.</summary>
    Auto,
    Kubeconfig,
    InCluster,
    Simulated,
}

/// <summary>The section "Urumi" of the configuration; validated when the app starts.</summary>
public sealed partial class UrumiOptions
{
    public const string Section = "Urumi";

    /// <summary>local or prod: picks each chart's values-{Environment}.yaml.</summary>
    [AllowedValues("local", "prod", ErrorMessage = "Urumi:Environment must be local or prod.")]
    public string Environment { get; set; } = "local";

    /// <summary>Stores are served at {storeId}.{StoreDomain}.</summary>
    [RegularExpression(DnsSubdomainPattern, ErrorMessage = "Urumi:StoreDomain must be a DNS name such as localtest.me.")]
    [MaxLength(200, ErrorMessage = "Urumi:StoreDomain must be at most 200 characters.")]
    public string StoreDomain { get; set; } = "localtest.me";

    /// <summary>http for local stores, https when the prod values turn TLS on.</summary>
    [AllowedValues(null, "http", "https", ErrorMessage = "Urumi:StoreScheme must be http or https.")]
    public string? StoreScheme { get; set; }

    public ClusterSettings Cluster { get; set; } = new();

    [ValidateObjectMembers]
    public HelmSettings Helm { get; set; } = new();

    public ChartSettings Charts { get; set; } = new();

    [ValidateObjectMembers]
    public RateLimitSettings RateLimit { get; set; } = new();

    /// <summary>Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client; none by default.</summary>
    [TrustedProxies]
    public string? TrustedProxies { get; set; }

    [ValidateObjectMembers]
    public ProvisioningSettings Provisioning { get; set; } = new();

    /// <summary>The live streams (Server-Sent Events) of the dashboard.</summary>
    public Live.LiveSettings Live { get; set; } = new();

    /// <summary>The store quota of each plan (ResourceQuota spec.hard); the defaults are in <see cref="StorePlans"/>.</summary>
    public Dictionary<string, Dictionary<string, string>> Plans { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The most stores an owner may have that are not Deleted (or Failed and cleaned up).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Urumi:MaxActiveStoresPerOwner must be at least 1.")]
    public int MaxActiveStoresPerOwner { get; set; } = 3;

    /// <summary>
    /// How long the claims (name, active-store slot) of a create request that died midway hold, and how long its held
    /// provisioning waits before a recovery starts it (it then checks its claims first).
    /// </summary>
    [Range(typeof(TimeSpan), OneSecond, Forever, ErrorMessage = "Urumi:ClaimHold must be at least 1 second.")]
    public TimeSpan ClaimHold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The Medusa image (there is no official one): repository:tag.</summary>
    [RegularExpression(@"^(?!.*:latest$).*:.*$", ErrorMessage = "Urumi:MedusaImage must be repository:tag with a pinned tag (not latest).")]
    public string MedusaImage { get; set; } = "urumi/medusa:2.12.3-urumi.1";

    public string Scheme => StoreScheme ?? (Environment == "prod" ? "https" : "http");

    /// <summary>The bounds of a duration setting, for [Range].</summary>
    internal const string OneSecond = "00:00:01", Tick = "00:00:00.0000001", Forever = "10675199.02:48:05.4775807";

    private const string DnsSubdomainPattern = @"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z";

    [GeneratedRegex(DnsSubdomainPattern)]
    public static partial Regex DnsSubdomain();
}

public sealed class ClusterSettings
{
    public ClusterMode Mode { get; set; } = ClusterMode.Auto;

    /// <summary>The kubeconfig file for Kubeconfig and Auto (default: $KUBECONFIG, then ~/.kube/config).</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context (default: its current context).</summary>
    public string? Context { get; set; }

    /// <summary>How long Auto waits for the kubeconfig's API server before choosing the simulator.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The namespace the ingress controller runs in: store NetworkPolicies admit traffic from it.</summary>
    public string IngressNamespace { get; set; } = "ingress-nginx";
}

public sealed class HelmSettings
{
    /// <summary>The helm binary (default: .tools/bin/helm, which eng/install-tools.sh installs, else helm on PATH).</summary>
    public string? Path { get; set; }

    /// <summary>helm's --timeout for an install (rollout included).</summary>
    [Range(typeof(TimeSpan), UrumiOptions.Tick, UrumiOptions.Forever, ErrorMessage = "Urumi:Helm:Timeout must be positive.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    [Range(typeof(TimeSpan), UrumiOptions.Tick, UrumiOptions.Forever, ErrorMessage = "Urumi:Helm:UninstallTimeout must be positive.")]
    public TimeSpan UninstallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a release's helm lease (one helm per release) outlives its last renewal: a holder on another host
    /// that stops renewing for this long is taken for dead. Renewed every third of it.
    /// </summary>
    [Range(typeof(TimeSpan), UrumiOptions.OneSecond, UrumiOptions.Forever, ErrorMessage = "Urumi:Helm:LeaseDuration must be at least 1 second.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class ChartSettings
{
    /// <summary>The folder holding woocommerce/ and medusa/ (default: charts/ next to the app or in the repository).</summary>
    public string? Path { get; set; }
}

public sealed class RateLimitSettings
{
    [Range(1, int.MaxValue, ErrorMessage = "Urumi:RateLimit:PermitLimit must be at least 1.")]
    public int PermitLimit { get; set; } = 5;

    [Range(1, int.MaxValue, ErrorMessage = "Urumi:RateLimit:WindowSeconds must be at least 1.")]
    public int WindowSeconds { get; set; } = 15 * 60;
}

public sealed class ProvisioningSettings
{
    /// <summary>At most this many stores provision at once, across all workers.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Urumi:Provisioning:MaxConcurrent must be at least 1.")]
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>
    /// How long the full gate, with stores waiting, waits before it frees the slots of holders that ended without a
    /// release; also how often each worker checks that the gate runs (it starts it again when two checks in a row find
    /// the same gate down).
    /// </summary>
    [Range(typeof(TimeSpan), UrumiOptions.OneSecond, UrumiOptions.Forever,
        ErrorMessage = "Urumi:Provisioning:GateHolderCheckInterval must be at least 1 second.")]
    public TimeSpan GateHolderCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    public const string DeadlineKey = "Urumi:Provisioning:Deadline";

    /// <summary>
    /// The whole provisioning (after leaving the queue) must end within this, and a store waits at most this long
    /// in the queue (then it fails, saying so). Unset, it is 15 minutes, or
    /// Urumi:Helm:Timeout plus 10 minutes when helm may wait longer than that (a chart's helmTimeout of 1h).
    /// </summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Retries of a step that failed for a transient reason (5xx, 429, connection refused ...).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Urumi:Provisioning:MaxAttempts must be at least 1.")]
    public int MaxAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), UrumiOptions.Tick, UrumiOptions.Forever, ErrorMessage = "Urumi:Provisioning:FirstRetryInterval must be positive.")]
    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long delete waits for the namespace to disappear before reporting it stuck.</summary>
    [Range(typeof(TimeSpan), UrumiOptions.Tick, UrumiOptions.Forever,
        ErrorMessage = "Urumi:Provisioning:NamespaceDeletionTimeout must be positive.")]
    public TimeSpan NamespaceDeletionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a waiting orchestration looks again (durable timer, not a sleep).</summary>
    [Range(typeof(TimeSpan), UrumiOptions.Tick, UrumiOptions.Forever, ErrorMessage = "Urumi:Provisioning:PollInterval must be positive.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Leaves room after helm's timeout when no deadline was configured, so any helm timeout starts the app.</summary>
    public void ApplyDefaultDeadline(HelmSettings helm, bool configured)
    {
        if (!configured && Deadline <= helm.Timeout)
        {
            Deadline = helm.Timeout + TimeSpan.FromMinutes(10);
        }
    }
}

/// <summary>
/// The rules the DataAnnotations attributes above cannot state, naming each setting: between settings, over a dictionary's entries
/// (Urumi:Plans), and against the file system.
/// </summary>
public sealed class UrumiOptionsValidator : IValidateOptions<UrumiOptions>
{
    public ValidateOptionsResult Validate(string? name, UrumiOptions o)
    {
        var errors = new List<string>();
        if (o.Provisioning.Deadline <= o.Helm.Timeout)
        {
            errors.Add($"Urumi:Provisioning:Deadline ({o.Provisioning.Deadline}) must be longer than Urumi:Helm:Timeout ({o.Helm.Timeout}).");
        }
        if (o.Provisioning.MaxRetryInterval < o.Provisioning.FirstRetryInterval)
        {
            errors.Add("Urumi:Provisioning:MaxRetryInterval must be at least Urumi:Provisioning:FirstRetryInterval.");
        }
        foreach (var (plan, quota) in o.Plans)
        {
            if (!Stores.StorePlans.Names.Contains(plan, StringComparer.Ordinal))
            {
                errors.Add($"Urumi:Plans:{plan}: unknown plan (plans: {string.Join(", ", Stores.StorePlans.Names)}).");
            }
            foreach (var (resource, value) in quota)
            {
                if (!Stores.StorePlans.IsQuantity(value))
                {
                    errors.Add($"Urumi:Plans:{plan}:{resource}: '{value}' is not a Kubernetes quantity.");
                }
            }
        }
        if (o.Charts.Path is { } charts && !Directory.Exists(charts))
        {
            errors.Add($"Urumi:Charts:Path: no folder at {charts}.");
        }
        if (o.Helm.Path is { } helm && !File.Exists(helm))
        {
            errors.Add($"Urumi:Helm:Path: no file at {helm}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Urumi:TrustedProxies: IP addresses or CIDR ranges separated by commas, naming the first that is neither.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TrustedProxiesAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        try
        {
            Guardrails.ClientAddress.Parse(value as string);
            return ValidationResult.Success;
        }
        catch (FormatException e)
        {
            return new ValidationResult($"Urumi:TrustedProxies must list IP addresses or CIDR ranges separated by commas: {e.Message}.");
        }
    }
}

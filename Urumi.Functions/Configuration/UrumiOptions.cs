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
    public string Environment { get; set; } = "local";

    /// <summary>Stores are served at {storeId}.{StoreDomain}.</summary>
    public string StoreDomain { get; set; } = "localtest.me";

    /// <summary>http for local stores, https when the prod values turn TLS on.</summary>
    public string? StoreScheme { get; set; }

    public ClusterSettings Cluster { get; set; } = new();

    public HelmSettings Helm { get; set; } = new();

    public ChartSettings Charts { get; set; } = new();

    public RateLimitSettings RateLimit { get; set; } = new();

    /// <summary>Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client; none by default.</summary>
    public string? TrustedProxies { get; set; }

    public ProvisioningSettings Provisioning { get; set; } = new();

    /// <summary>The live streams (Server-Sent Events) of the dashboard.</summary>
    public Live.LiveSettings Live { get; set; } = new();

    /// <summary>The store quota of each plan (ResourceQuota spec.hard); the defaults are in <see cref="StorePlans"/>.</summary>
    public Dictionary<string, Dictionary<string, string>> Plans { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The most stores an owner may have that are not Deleted (or Failed and cleaned up).</summary>
    public int MaxActiveStoresPerOwner { get; set; } = 3;

    /// <summary>
    /// How long the claims (name, active-store slot) of a create request that died midway hold, and how long its held
    /// provisioning waits before a recovery starts it (it then checks its claims first).
    /// </summary>
    public TimeSpan ClaimHold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The Medusa image (there is no official one): repository:tag.</summary>
    public string MedusaImage { get; set; } = "urumi/medusa:2.12.3-urumi.1";

    public string Scheme => StoreScheme ?? (Environment == "prod" ? "https" : "http");

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
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
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan UninstallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a release's helm lease (one helm per release) outlives its last renewal: a holder on another host
    /// that stops renewing for this long is taken for dead. Renewed every third of it.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class ChartSettings
{
    /// <summary>The folder holding woocommerce/ and medusa/ (default: charts/ next to the app or in the repository).</summary>
    public string? Path { get; set; }
}

public sealed class RateLimitSettings
{
    public int PermitLimit { get; set; } = 5;

    public int WindowSeconds { get; set; } = 15 * 60;
}

public sealed class ProvisioningSettings
{
    /// <summary>At most this many stores provision at once, across all workers.</summary>
    public int MaxConcurrent { get; set; } = 2;

    /// <summary>
    /// How long the full gate, with stores waiting, waits before it frees the slots of holders that ended without a
    /// release; also how often each worker checks that the gate runs (and starts it again if it does not).
    /// </summary>
    public TimeSpan GateHolderCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    public const string DeadlineKey = "Urumi:Provisioning:Deadline";

    /// <summary>
    /// The whole provisioning (after leaving the queue) must end within this, and a store waits at most this long
    /// in the queue (then it fails, saying so). Unset, it is 15 minutes, or
    /// Urumi:Helm:Timeout plus 10 minutes when helm may wait longer than that (a chart's helmTimeout of 1h).
    /// </summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Retries of a step that failed for a transient reason (5xx, 429, connection refused ...).</summary>
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long delete waits for the namespace to disappear before reporting it stuck.</summary>
    public TimeSpan NamespaceDeletionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a waiting orchestration looks again (durable timer, not a sleep).</summary>
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

/// <summary>Refuses to start with settings that cannot work, naming each one.</summary>
public sealed class UrumiOptionsValidator : IValidateOptions<UrumiOptions>
{
    public ValidateOptionsResult Validate(string? name, UrumiOptions o)
    {
        var errors = new List<string>();
        if (o.Environment is not ("local" or "prod"))
        {
            errors.Add($"Urumi:Environment must be local or prod, not '{o.Environment}'.");
        }
        if (!UrumiOptions.DnsSubdomain().IsMatch(o.StoreDomain) || o.StoreDomain.Length > 200)
        {
            errors.Add($"Urumi:StoreDomain must be a DNS name such as localtest.me, not '{o.StoreDomain}'.");
        }
        if (o.StoreScheme is not (null or "http" or "https"))
        {
            errors.Add($"Urumi:StoreScheme must be http or https, not '{o.StoreScheme}'.");
        }
        if (o.Helm.Timeout <= TimeSpan.Zero || o.Helm.UninstallTimeout <= TimeSpan.Zero || o.Helm.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            errors.Add("Urumi:Helm:Timeout and Urumi:Helm:UninstallTimeout must be positive, Urumi:Helm:LeaseDuration at least 1s.");
        }
        if (o.RateLimit.PermitLimit < 1 || o.RateLimit.WindowSeconds < 1)
        {
            errors.Add("Urumi:RateLimit:PermitLimit and Urumi:RateLimit:WindowSeconds must be at least 1.");
        }
        try
        {
            Guardrails.ClientAddress.Parse(o.TrustedProxies);
        }
        catch (FormatException e)
        {
            errors.Add($"Urumi:TrustedProxies must list IP addresses or CIDR ranges separated by commas: {e.Message}.");
        }
        if (o.Provisioning.GateHolderCheckInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add("Urumi:Provisioning:GateHolderCheckInterval must be at least 1 second.");
        }
        if (o.Provisioning.MaxConcurrent < 1)
        {
            errors.Add("Urumi:Provisioning:MaxConcurrent must be at least 1.");
        }
        if (o.Provisioning.Deadline <= o.Helm.Timeout)
        {
            errors.Add($"Urumi:Provisioning:Deadline ({o.Provisioning.Deadline}) must be longer than Urumi:Helm:Timeout ({o.Helm.Timeout}).");
        }
        if (o.Provisioning.MaxAttempts < 1 || o.Provisioning.FirstRetryInterval <= TimeSpan.Zero || o.Provisioning.MaxRetryInterval < o.Provisioning.FirstRetryInterval)
        {
            errors.Add("Urumi:Provisioning: MaxAttempts must be at least 1 and 0 < FirstRetryInterval <= MaxRetryInterval.");
        }
        if (o.Provisioning.PollInterval <= TimeSpan.Zero || o.Provisioning.NamespaceDeletionTimeout <= TimeSpan.Zero)
        {
            errors.Add("Urumi:Provisioning:PollInterval and NamespaceDeletionTimeout must be positive.");
        }
        if (o.MaxActiveStoresPerOwner < 1)
        {
            errors.Add("Urumi:MaxActiveStoresPerOwner must be at least 1.");
        }
        if (o.ClaimHold < TimeSpan.FromSeconds(1))
        {
            errors.Add("Urumi:ClaimHold must be at least 1 second.");
        }
        if (!o.MedusaImage.Contains(':', StringComparison.Ordinal) || o.MedusaImage.EndsWith(":latest", StringComparison.Ordinal))
        {
            errors.Add($"Urumi:MedusaImage must be repository:tag with a pinned tag, not '{o.MedusaImage}'.");
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

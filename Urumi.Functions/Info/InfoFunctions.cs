using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Http;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;
using Urumi.Functions.Helm;
using Urumi.Functions.Stores;
using Urumi.Hosting.Configuration;

namespace Urumi.Functions.Info;

/// <summary>
/// /api/info (what this control plane runs against, simulated or not) and /api/health (storage, cluster, provisioning). Both are
/// anonymous and reveal to anonymous callers only what a health probe or the dashboard's sign-in page needs.
/// </summary>
public sealed class InfoFunctions(
    ClusterConnection cluster, HelmRunner helm, PlanCatalog plans, HealthCheckService health, IOptions<UrumiOptions> options, IConfiguration configuration)
{
    /// <summary>
    /// Anonymous callers (a probe, the dashboard's sign-in page) get the product, its version and whether the
    /// cluster is simulated; callers with a key get what the control plane runs against, its limits and offers.
    /// </summary>
    [Function("InfoHttp")]
    public async Task<IResult> Info(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "info")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        var session = await cluster.GetAsync();
        var version = typeof(InfoFunctions).Assembly.GetName().Version?.ToString();
        if (FunctionKeys.CallerKeyName(request.HttpContext) is null)
        {
            return Results.Json(new { product = "urumi", version, simulated = session.Simulated });
        }
        var o = options.Value;
        string? helmVersion;
        try
        {
            helmVersion = (await helm.VersionAsync()).Text;
        }
        catch (Exception e) when (e is HelmCommandException or NotSupportedException or System.ComponentModel.Win32Exception or CliWrap.Exceptions.CliWrapException)
        {
            helmVersion = $"unavailable: {e.Message}";
        }
        return Results.Json(new
        {
            product = "urumi",
            version,
            environment = o.Environment,
            storeDomain = o.StoreDomain,
            cluster = new { mode = session.Mode.ToString(), simulated = session.Simulated, server = session.Server },
            helm = new { path = helm.Path, version = helmVersion },
            taskHub = TaskHub.Name(configuration),
            offers = (await plans.OffersAsync()).Select(p => new { engine = p.Engine, plan = p.Plan, offered = p.Offered, doesNotFit = p.Misfits }),
            limits = new
            {
                maxConcurrentProvisioning = o.Provisioning.MaxConcurrent,
                maxActiveStoresPerOwner = o.MaxActiveStoresPerOwner,
                rateLimit = new { permitLimit = o.RateLimit.PermitLimit, windowSeconds = o.RateLimit.WindowSeconds },
                helmTimeout = o.Helm.Timeout,
                provisioningDeadline = o.Provisioning.Deadline,
            },
        });
    }

    /// <summary>How long each health check may take; one that runs out fails (503 for storage and cluster).</summary>
    public static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The health checks (storage, cluster, provisioning) as Microsoft.Extensions.Diagnostics.HealthChecks reports
    /// them: Healthy and Degraded answer 200 with the status (and, when degraded, the reasons), Unhealthy answers 503
    /// problem+json. Degraded (provisioning cannot make progress) keeps a liveness probe from restarting the process.
    /// </summary>
    [Function("HealthHttp")]
    public async Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken ct)
    {
        // Each check has its own timeout (HealthCheckTimeout): one that runs out is that check failing, not the request.
        var report = await health.CheckHealthAsync(check => !check.Tags.Contains(Urumi.Hosting.Health.SelfHostHealth.Tag), ct);
        // A check that threw: its exception (which may name the storage address) is in the log, not in this anonymous answer.
        var reasons = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .Select(e => $"{e.Key}: {e.Value.Exception switch
            {
                null => e.Value.Description,
                OperationCanceledException => $"did not answer within {HealthCheckTimeout.TotalSeconds:0} s",
                _ => "the check failed (see the log)",
            }}").ToList();
        return report.Status switch
        {
            HealthStatus.Healthy => Results.Json(new { status = "Healthy" }),
            HealthStatus.Degraded => Results.Json(new { status = "Degraded", reasons }),
            _ => Problems.Create(503, "unhealthy", "Not healthy", string.Join("; ", reasons),
                new Dictionary<string, object?> { ["status"] = "Unhealthy", ["reasons"] = reasons }),
        };
    }
}

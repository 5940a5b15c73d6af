using Microsoft.Extensions.Options;
using Urumi.Durable;
using Urumi.Durable.Client;
using Urumi.Durable.Hosting;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;
using Urumi.Functions.Helm;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Info;

/// <summary>/api/info (what this control plane runs against, simulated or not) and /api/health (storage and cluster).</summary>
public sealed class InfoFunctions(ClusterConnection cluster, HelmRunner helm, PlanCatalog plans, IOptions<UrumiOptions> options)
{
    [Function("InfoHttp")]
    public async Task<IResult> Info(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "info")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        var o = options.Value;
        var session = await cluster.GetAsync();
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
            version = typeof(InfoFunctions).Assembly.GetName().Version?.ToString(),
            environment = o.Environment,
            storeDomain = o.StoreDomain,
            cluster = new { mode = session.Mode.ToString(), simulated = session.Simulated, server = session.Server },
            helm = new { path = helm.Path, version = helmVersion },
            taskHub = client.TaskHubName,
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

    [Function("HealthHttp")]
    public async Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var problems = new List<string>();
        try
        {
            await client.GetInstanceAsync("__urumi_health__", cancellation: timeout.Token);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or OperationCanceledException or IOException)
        {
            problems.Add($"storage: {e.Message}");
        }
        var session = await cluster.GetAsync();
        if (!await new StoreCluster(session.Kubernetes).AnswersAsync(timeout.Token))
        {
            problems.Add($"cluster: {session.Server} does not answer");
        }
        return problems.Count == 0
            ? Results.Json(new { status = "Healthy", cluster = session.Mode.ToString(), simulated = session.Simulated })
            : Problems.Create(503, "unhealthy", "Not healthy", string.Join("; ", problems));
    }
}

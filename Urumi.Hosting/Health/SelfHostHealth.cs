using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Urumi.Hosting.Http;

namespace Urumi.Hosting.Health;

/// <summary>
/// The self-host's own probes, as ASP.NET Core health checks: `/alive` (liveness: the process answers; no check runs)
/// and `/health` (readiness: the task hub's storage answers). Both anonymous. Checks tagged <see cref="Tag"/> are the
/// self-host's; an app's own health endpoint leaves them out.
/// </summary>
public static class SelfHostHealth
{
    public const string Tag = "self-host";

    public static IServiceCollection AddSelfHostHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<TaskHubStorageHealthCheck>("task-hub-storage", tags: [Tag]);
        return services;
    }

    public static IEndpointRouteBuilder MapSelfHostHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) => Results.Ok(new { status = "Alive" }).ExecuteAsync(context),
        });
        endpoints.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Tag),
            ResponseWriter = (context, report) => (report.Status == HealthStatus.Healthy
                ? Results.Ok(new { status = "Healthy" })
                : Problems.Create(503, "storage-unavailable", "Storage is unreachable", TaskHubStorageHealthCheck.Unanswered)).ExecuteAsync(context),
        });
        return endpoints;
    }
}

/// <summary>
/// Healthy when the task hub's storage answers a point read (of an instance that does not exist) within 5 s; used by
/// the self-host's `/health` and by an app's own health endpoint. The answer names neither the task hub nor the
/// storage's address or error (the probes are anonymous): those go to the log.
/// </summary>
public sealed partial class TaskHubStorageHealthCheck(DurableTaskClient client, ILogger<TaskHubStorageHealthCheck> logger) : IHealthCheck
{
    public const string Unanswered = "The task hub's storage did not answer within 5 s.";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await client.GetInstanceAsync("__urumi_health__", timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            // Whatever the storage client throws (its retries wrap transport errors in several ways), and a timeout,
            // ours or the caller's (/api/health also gives up after 5 s): not healthy, and said the same way.
            StorageDidNotAnswer(logger, e);
            return HealthCheckResult.Unhealthy("does not answer");
        }
    }

    [LoggerMessage(1501, LogLevel.Warning, "Health: the task hub's storage did not answer")]
    private static partial void StorageDidNotAnswer(ILogger logger, Exception exception);
}

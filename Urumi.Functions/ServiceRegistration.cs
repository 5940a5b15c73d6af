using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Urumi.Functions.Audit;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Helm;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.Hosting.Configuration;

namespace Urumi.Functions;

/// <summary>The services of each feature folder; Program.cs lists them.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddUrumiOptions(this IServiceCollection services, IConfiguration configuration)
    {
        DurationConverter.Register();
        services.AddOptions<UrumiOptions>()
            .Bind(configuration.GetSection(UrumiOptions.Section))
            .PostConfigure(o => o.Provisioning.ApplyDefaultDeadline(o.Helm, configuration[ProvisioningSettings.DeadlineKey] is not null))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<UrumiOptions>, UrumiOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddTransient<KubernetesCallTimer>();
        services.AddSingleton<ClusterConnection>();
        services.AddHostedService<ClusterStartup>();
        return services;
    }

    public static IServiceCollection AddHelm(this IServiceCollection services)
    {
        services.AddSingleton<HelmRunner>();
        services.AddSingleton<ReleaseExclusion>();
        services.AddSingleton<StoreCharts>();
        services.AddSingleton<PlanCatalog>();
        return services;
    }

    public static IServiceCollection AddStoreRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var connection = configuration["AzureWebJobsStorage"];
            if (string.IsNullOrWhiteSpace(connection) || connection == "InMemory")
            {
                throw new OptionsValidationException("AzureWebJobsStorage", typeof(string),
                    ["Urumi keeps its store registry in Azure Table storage: set AzureWebJobsStorage to a storage connection string (UseDevelopmentStorage=true for Azurite)."]);
            }
            return new StoreRegistry(connection, TaskHub.Name(configuration));
        });
        services.AddSingleton(_ => ScriptedStoreIds.FromEnvironment());
        services.AddSingleton<StoreAdmission>();
        return services;
    }

    public static IServiceCollection AddGuardrails(this IServiceCollection services) => services
        .AddKeyedSingleton(CreateRateLimit.Key, (sp, _) => CreateRateLimit.For(sp.GetRequiredService<IOptions<UrumiOptions>>().Value.RateLimit))
        .AddSingleton<ClientAddress>();

    public static IServiceCollection AddProvisioning(this IServiceCollection services)
    {
        services.AddSingleton<ProvisioningMetrics>();
        services.AddSingleton(ProvisioningEvents.Known);
        services.AddHostedService<ProvisioningGateKeeper>();
        return services;
    }

    public static IServiceCollection AddAudit(this IServiceCollection services) => services.AddSingleton<AuditTrail>();

    /// <summary>What /api/health reports: storage and cluster (unhealthy when down), provisioning (degraded when stuck).</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<Urumi.Hosting.Health.TaskHubStorageHealthCheck>("storage", timeout: Info.InfoFunctions.HealthCheckTimeout)
            .AddCheck<Info.ClusterHealthCheck>("cluster", timeout: Info.InfoFunctions.HealthCheckTimeout)
            .AddCheck<Info.ProvisioningHealthCheck>("provisioning", HealthStatus.Degraded, timeout: Info.InfoFunctions.HealthCheckTimeout);
        return services;
    }
}

/// <summary>Connects to the cluster when the app starts (so the log says at once whether it is simulated) and checks the charts.</summary>
public sealed class ClusterStartup(ClusterConnection cluster, StoreCharts charts, StoreRegistry registry) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = charts.Root;
        _ = registry.TableName;
        await cluster.GetAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

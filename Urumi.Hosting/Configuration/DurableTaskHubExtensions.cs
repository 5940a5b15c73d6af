using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Urumi.Hosting.Configuration;

public static class DurableTaskHubExtensions
{
    /// <summary>
    /// The durable settings from host.json (<see cref="DurableTaskHubOptions.Section"/>), checked at start, and the
    /// process's one <see cref="AzureStorageOrchestrationService"/>, also served as IOrchestrationService (the worker)
    /// and IOrchestrationServiceClient (clients), so that a client's messages reach this worker without a poll.
    /// </summary>
    public static IServiceCollection AddDurableTaskHub(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DurableTaskHubOptions>()
            .Bind(configuration.GetSection(DurableTaskHubOptions.Section))
            .PostConfigure(options => options.StorageProvider.ConnectionString ??= Connection(configuration, options.StorageProvider.ConnectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DurableTaskHubOptions>, DurableTaskHubOptionsValidator>();
        services.AddSingleton(provider => new AzureStorageOrchestrationService(
            provider.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value.ToServiceSettings(provider.GetRequiredService<ILoggerFactory>())));
        services.AddSingleton<IOrchestrationService>(provider => provider.GetRequiredService<AzureStorageOrchestrationService>());
        services.AddSingleton<IOrchestrationServiceClient>(provider => provider.GetRequiredService<AzureStorageOrchestrationService>());
        return services;
    }

    // As the Functions host: an app setting of that name, else a connection string of that name.
    private static string? Connection(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : configuration.GetConnectionString(name);
}

using DurableTask.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Urumi.Hosting.Client;

public static class OrchestrationServiceClientBuilderExtensions
{
    /// <summary>
    /// Builds the client as an <see cref="OrchestrationServiceDurableTaskClient"/>:
    /// <c>services.AddDurableTaskClient(b => b.UseOrchestrationService())</c> makes <see cref="DurableTaskClient"/>
    /// resolve from DI. The DurableTask.Core client comes from <paramref name="clientFactory"/>, else from the
    /// container's <see cref="IOrchestrationServiceClient"/> or <see cref="IOrchestrationService"/> (the worker
    /// shares its one AzureStorageOrchestrationService that way).
    /// </summary>
    public static IDurableTaskClientBuilder UseOrchestrationService(
        this IDurableTaskClientBuilder builder,
        Func<IServiceProvider, IOrchestrationServiceClient>? clientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<OrchestrationServiceClientOptions>(builder.Name)
            .Configure<IServiceProvider>((options, services) =>
                options.Client ??= ResolveClient(services, clientFactory))
            .Validate(options => options.Client is not null,
                "No DurableTask.Core client: pass a factory to UseOrchestrationService or register an "
                + "IOrchestrationServiceClient (or an IOrchestrationService that is one).");
        return builder.UseBuildTarget<OrchestrationServiceDurableTaskClient, OrchestrationServiceClientOptions>();
    }

    private static IOrchestrationServiceClient? ResolveClient(
        IServiceProvider services, Func<IServiceProvider, IOrchestrationServiceClient>? clientFactory) =>
        clientFactory?.Invoke(services)
        ?? services.GetService<IOrchestrationServiceClient>()
        ?? services.GetService<IOrchestrationService>() as IOrchestrationServiceClient;
}

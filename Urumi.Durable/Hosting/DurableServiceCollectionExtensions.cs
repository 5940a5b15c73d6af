using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Durable.Client;
using Urumi.Durable.Storage;
using Urumi.Durable.Storage.AzureStorage;
using Urumi.Durable.Storage.InMemory;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Hosting;

public static class DurableServiceCollectionExtensions
{
    /// <summary>The AzureWebJobsStorage value that selects the in-memory backend (nothing is persisted).</summary>
    public const string InMemoryConnection = "InMemory";

    /// <summary>
    /// Adds the durable engine: options validated at start, the storage backend, the function registry built from
    /// <paramref name="functionTypes"/>, the client and the worker.
    /// </summary>
    public static IServiceCollection AddDurableTask(this IServiceCollection services, IEnumerable<Type> functionTypes, Func<IServiceProvider, ITaskHubStorage>? storage = null)
    {
        var types = functionTypes.ToArray();
        services.AddOptions<DurableTaskOptions>().ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(storage ?? CreateStorage);
        services.AddSingleton(sp => FunctionRegistry.Build(types, sp));
        services.AddSingleton(sp => new DurableTaskClient(sp.GetRequiredService<ITaskHubStorage>()));
        services.AddSingleton<DurableWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<DurableWorker>());
        return services;
    }

    /// <summary>The backend named by AzureWebJobsStorage: Azure Storage (UseDevelopmentStorage=true is Azurite) or InMemory.</summary>
    public static ITaskHubStorage CreateStorage(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DurableTaskOptions>>().Value;
        var connection = services.GetRequiredService<IConfiguration>()["AzureWebJobsStorage"];
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new OptionsValidationException("AzureWebJobsStorage", typeof(string),
                ["AzureWebJobsStorage is not set: give a storage connection string (UseDevelopmentStorage=true for Azurite) or InMemory."]);
        }
        return connection == InMemoryConnection
            ? new InMemoryTaskHubStorage(options.HubName, options.PartitionCount)
            : new AzureTaskHubStorage(connection, options.HubName, options.PartitionCount, options.LeaseDuration);
    }
}

using DurableTask.AzureStorage;
using DurableTask.Core;
using Urumi.Testing;
using Urumi.Hosting.Client;

namespace Urumi.Hosting.Tests.Client;

/// <summary>
/// The real engine for a test class: an Azurite of its own, an AzureStorageOrchestrationService on a task hub of its
/// own, a TaskHubWorker running <see cref="TestOrchestrations"/>, and the client under test over the same service.
/// </summary>
public sealed class DurableTaskEngine : IAsyncLifetime
{
    private TaskHubWorker? _worker;

    public AzuriteServer Azurite { get; private set; } = null!;

    public AzureStorageOrchestrationService Service { get; private set; } = null!;

    public OrchestrationServiceDurableTaskClient Client { get; private set; } = null!;

    public static OrchestrationServiceClientOptions ClientOptions(IOrchestrationServiceClient client) => new()
    {
        Client = client,
        MinPollingInterval = TimeSpan.FromMilliseconds(20),
        MaxPollingInterval = TimeSpan.FromMilliseconds(200),
    };

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteServer.StartAsync();
        Service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(Azurite.ConnectionString),
            TaskHubName = "hub" + Guid.NewGuid().ToString("N")[..12],
            WorkerId = "client-tests-" + Environment.ProcessId,
            PartitionCount = 2,
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100),
        });
        await Service.CreateIfNotExistsAsync();
        _worker = new TaskHubWorker(Service) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        TestOrchestrations.Register(_worker);
        await _worker.StartAsync();
        Client = new OrchestrationServiceDurableTaskClient("test", ClientOptions(Service));
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync(isForced: true);
            _worker.Dispose();
        }
        Service?.Dispose();
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }
}

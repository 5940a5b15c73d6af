using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using Microsoft.Extensions.Logging;
using Urumi.Hosting.Telemetry;

namespace Urumi.Hosting.Configuration;

/// <summary>The durable settings mapped onto DurableTask.AzureStorage's, the one place that does it.</summary>
public static class DurableTaskHubSettings
{
    public static AzureStorageOrchestrationServiceSettings ToServiceSettings(this DurableTaskHubOptions options, ILoggerFactory loggerFactory)
    {
        var storage = options.StorageProvider;
        return new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = ClientProvider(
                storage.ConnectionString ?? throw new InvalidOperationException($"The setting {storage.ConnectionName} is not set.")),
            TaskHubName = options.HubName,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivityFunctions,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestratorFunctions,
            PartitionCount = storage.PartitionCount,
            ControlQueueBatchSize = storage.ControlQueueBatchSize,
            ControlQueueBufferThreshold = storage.ControlQueueBufferThreshold,
            ExtendedSessionsEnabled = options.ExtendedSessionsEnabled,
            ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(options.ExtendedSessionIdleTimeoutInSeconds),
            MaxQueuePollingInterval = storage.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = storage.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = storage.WorkItemQueueVisibilityTimeout,
            LeaseInterval = storage.LeaseInterval,
            LeaseRenewInterval = storage.LeaseRenewInterval,
            LeaseAcquireInterval = storage.LeaseAcquireInterval,
            UseTablePartitionManagement = storage.UseTablePartitionManagement,
            WorkerId = storage.WorkerId,
            // As the extension: starting an instance whose id is running fails instead of being dropped silently.
            ThrowExceptionOnInvalidDedupeStatus = true,
            LoggerFactory = loggerFactory,
        };
    }

    /// <summary>The storage clients, each timing its requests (urumi.storage.request.duration).</summary>
    private static StorageAccountClientProvider ClientProvider(string connectionString) => new(
        StorageServiceClientProvider.ForBlob(connectionString, StorageLatencyPolicy.AddTo(new BlobClientOptions(), "blob")),
        StorageServiceClientProvider.ForQueue(connectionString, StorageLatencyPolicy.AddTo(new QueueClientOptions(), "queue")),
        StorageServiceClientProvider.ForTable(connectionString, StorageLatencyPolicy.AddTo(new TableClientOptions(), "table")));
}

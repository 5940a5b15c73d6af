using DurableTask.Core;
using Microsoft.DurableTask.Client;

namespace Urumi.Hosting.Client;

/// <summary>Options of <see cref="OrchestrationServiceDurableTaskClient"/>.</summary>
public sealed class OrchestrationServiceClientOptions : DurableTaskClientOptions
{
    /// <summary>
    /// The DurableTask.Core client to run on, usually the process's one AzureStorageOrchestrationService (which is
    /// also the query and purge client). Required.
    /// </summary>
    public IOrchestrationServiceClient? Client { get; set; }

    /// <summary>First delay between two status reads while waiting for an instance to start or complete.</summary>
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between two status reads while waiting; the delay doubles up to it.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);
}

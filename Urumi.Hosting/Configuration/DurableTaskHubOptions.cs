namespace Urumi.Hosting.Configuration;

/// <summary>
/// The Durable Functions extension's settings, read from host.json's extensions:durableTask (the names and shape of
/// the extension's own schema, so that the same host.json serves `func start`), for the self-host.
/// </summary>
public sealed class DurableTaskHubOptions
{
    public const string Section = FunctionsHostConfiguration.HostSection + ":extensions:durableTask";

    /// <summary>The task hub: the name prefix of its queues, tables and blob containers (see <see cref="TaskHub"/>).</summary>
    public string HubName { get; set; } = TaskHub.DefaultName;

    /// <summary>Activities run at once by this process; the extension's default, 10 per processor.</summary>
    public int MaxConcurrentActivityFunctions { get; set; } = 10 * Environment.ProcessorCount;

    /// <summary>Orchestration episodes run at once by this process; the extension's default, 10 per processor.</summary>
    public int MaxConcurrentOrchestratorFunctions { get; set; } = 10 * Environment.ProcessorCount;

    public AzureStorageProviderOptions StorageProvider { get; set; } = new();
}

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

    /// <summary>
    /// Extended sessions (DurableTask.AzureStorage): after an episode the orchestration stays in memory for
    /// <see cref="ExtendedSessionIdleTimeoutInSeconds"/>, so its next episode neither reads its history from storage nor
    /// replays it. Off, as the extension's default: in the store bench it halved the process's CPU per store and cut
    /// the gate's history reads to none, but the latency gain held in 2 of 3 same-run pairs, a graceful stop took 9.2 s
    /// instead of 2.2 s, and with it a storage outage left orchestrations Pending after storage came back (the
    /// Azurite-restart test: the worker's recycle covers activity messages only). bench/README.md has the figures.
    /// </summary>
    public bool ExtendedSessionsEnabled { get; set; }

    /// <summary>
    /// How long an extended session waits for the orchestration's next message before it is unloaded (the extension's
    /// 30 s): longer than a helm install, so a store's orchestration stays loaded from its start to Ready.
    /// </summary>
    public int ExtendedSessionIdleTimeoutInSeconds { get; set; } = 30;

    public AzureStorageProviderOptions StorageProvider { get; set; } = new();
}

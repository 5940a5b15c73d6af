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
    /// replays it. On, unlike the extension's default: in the store bench on a quiet machine it cut the overhead per
    /// store by about half (489 and 508 ms against 1,017 and 797 ms off, two same-run pairs). The cost: a graceful stop
    /// with a waiting orchestration takes about 9 s instead of 2 s.
    /// bench/README.md has the figures.
    /// </summary>
    public bool ExtendedSessionsEnabled { get; set; } = true;

    /// <summary>
    /// How long an extended session waits for the orchestration's next message before it is unloaded (the extension's
    /// 30 s): longer than a helm install, so a store's orchestration stays loaded from its start to Ready.
    /// </summary>
    public int ExtendedSessionIdleTimeoutInSeconds { get; set; } = 30;

    public AzureStorageProviderOptions StorageProvider { get; set; } = new();
}

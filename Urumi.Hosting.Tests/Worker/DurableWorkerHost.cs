using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using Newtonsoft.Json.Linq;
using DurableTask.Core.Serializing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Urumi.Testing;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Worker;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>
/// A generic host running the self-hosted worker with the test functions on its own task hub in a shared Azurite,
/// and DurableTask.Core's TaskHubClient over the same orchestration service to start and watch instances.
/// </summary>
public sealed class DurableWorkerHost : IAsyncDisposable
{
    private static int _hubs;

    private DurableWorkerHost(IHost host, string hubName)
    {
        Host = host;
        HubName = hubName;
        // Inputs as plain JSON (no $type), as the SDK's System.Text.Json converter writes them.
        Client = new TaskHubClient(
            host.Services.GetRequiredService<IOrchestrationServiceClient>(),
            new JsonDataConverter(new Newtonsoft.Json.JsonSerializerSettings()),
            loggerFactory: null);
    }

    public IHost Host { get; }

    public string HubName { get; }

    public TaskHubClient Client { get; }

    public ProbeLog Probes => Host.Services.GetRequiredService<ProbeLog>();

    /// <summary>A new task hub name, unique in this test run.</summary>
    public static string NewHubName() => $"WorkerTest{Environment.ProcessId}x{Interlocked.Increment(ref _hubs)}";

    /// <summary>Starts a worker on the hub (a new one by default); workers given the same probes share what they saw.</summary>
    /// <param name="pollingInterval">maxQueuePollingInterval: 100 ms unless given; null for the self-host's default.</param>
    /// <param name="durableSettings">More host.json settings, keys relative to extensions:durableTask.</param>
    /// <param name="logs">A logger provider that also gets the host's logs (the engine's included).</param>
    public static async Task<DurableWorkerHost> StartAsync(
        AzuriteServer azurite, string? hubName = null, ProbeLog? probes = null, string? pollingInterval = "00:00:00.100",
        IReadOnlyDictionary<string, string>? durableSettings = null, ILoggerProvider? logs = null)
    {
        hubName ??= NewHubName();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            [$"{DurableTaskHubOptions.Section}:hubName"] = hubName,
            [$"{DurableTaskHubOptions.Section}:storageProvider:partitionCount"] = "2",
        });
        if (pollingInterval is not null)
        {
            builder.Configuration[$"{DurableTaskHubOptions.Section}:storageProvider:maxQueuePollingInterval"] = pollingInterval;
        }
        foreach (var (key, value) in durableSettings ?? new Dictionary<string, string>())
        {
            builder.Configuration[$"{DurableTaskHubOptions.Section}:{key}"] = value;
        }
        builder.Services.AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        builder.Services.AddSingleton(probes ?? new ProbeLog());
        builder.Services.AddScoped<ScopedProbe>();
        builder.Services.AddDurableTaskHub(builder.Configuration);
        builder.Services.AddDurableFunctionsWorker(FunctionIndex.FromTypes([typeof(TestOrchestrations), typeof(InstanceOrchestration), typeof(TestActivities)]));
        var host = builder.Build();
        await host.StartAsync();
        return new DurableWorkerHost(host, hubName);
    }

    public async Task<OrchestrationInstance> StartAsync(string orchestrator, object? input = null, string? instanceId = null) =>
        await Client.CreateOrchestrationInstanceAsync(orchestrator, version: "", instanceId ?? $"{orchestrator}-{Guid.NewGuid():N}", input);

    public Task<OrchestrationState> CompletionAsync(OrchestrationInstance instance, TimeSpan? timeout = null) =>
        Eventually.Until(
            () => Client.GetOrchestrationStateAsync(instance),
            state => state is { OrchestrationStatus: OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated },
            timeout ?? TimeSpan.FromSeconds(60),
            $"{instance.InstanceId} to end");

    public async Task<T> OutputAsync<T>(OrchestrationInstance instance)
    {
        var state = await CompletionAsync(instance);
        Assert.True(state.OrchestrationStatus == OrchestrationStatus.Completed, $"{instance.InstanceId} ended {state.OrchestrationStatus}: {state.Output}");
        return JsonSerializer.Deserialize<T>(state.Output)!;
    }

    /// <summary>
    /// The failure details of a failed instance, from its ExecutionCompleted history event (DurableTask.AzureStorage's
    /// instance table keeps only their text, in Output).
    /// </summary>
    public async Task<FailureDetails?> FailureAsync(OrchestrationInstance instance)
    {
        var service = Host.Services.GetRequiredService<AzureStorageOrchestrationService>();
        var json = await service.GetOrchestrationHistoryAsync(instance.InstanceId, instance.ExecutionId);
        var completed = JArray.Parse(json).Single(e => (string?)e["EventType"] is nameof(EventType.ExecutionCompleted) or "1");
        return completed["FailureDetails"]?.ToObject<FailureDetails>();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}

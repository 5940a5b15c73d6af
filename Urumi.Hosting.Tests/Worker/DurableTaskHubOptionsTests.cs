using DurableTask.AzureStorage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Configuration;

namespace Urumi.Hosting.Tests.Worker;

public sealed class DurableTaskHubOptionsTests
{
    private const string Connection = "UseDevelopmentStorage=true";

    [Fact]
    public void Host_json_settings_map_onto_DurableTask_AzureStorage_settings()
    {
        var options = Bind(new()
        {
            ["AzureWebJobsStorage"] = Connection,
            [D("hubName")] = "UrumiHub",
            [D("maxConcurrentActivityFunctions")] = "7",
            [D("maxConcurrentOrchestratorFunctions")] = "9",
            [D("storageProvider:partitionCount")] = "3",
            [D("storageProvider:controlQueueBatchSize")] = "16",
            [D("storageProvider:maxQueuePollingInterval")] = "00:00:02",
            [D("storageProvider:controlQueueVisibilityTimeout")] = "00:01:00",
            [D("storageProvider:workItemQueueVisibilityTimeout")] = "00:02:00",
            [D("storageProvider:leaseInterval")] = "00:00:40",
            [D("storageProvider:leaseRenewInterval")] = "00:00:11",
            [D("storageProvider:leaseAcquireInterval")] = "00:00:12",
            [D("storageProvider:useTablePartitionManagement")] = "false",
            [D("storageProvider:workerId")] = "worker-a",
            [D("extendedSessionsEnabled")] = "false",
            [D("extendedSessionIdleTimeoutInSeconds")] = "7",
            [D("storageProvider:controlQueueBufferThreshold")] = "100",
        });

        var settings = options.ToServiceSettings(NullLoggerFactory.Instance);

        Assert.Equal(
            ("UrumiHub", 7, 9, 3, 16, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2)),
            (settings.TaskHubName, settings.MaxConcurrentTaskActivityWorkItems, settings.MaxConcurrentTaskOrchestrationWorkItems,
                settings.PartitionCount, settings.ControlQueueBatchSize, settings.MaxQueuePollingInterval,
                settings.ControlQueueVisibilityTimeout, settings.WorkItemQueueVisibilityTimeout));
        Assert.Equal(
            (TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(12), false, "worker-a"),
            (settings.LeaseInterval, settings.LeaseRenewInterval, settings.LeaseAcquireInterval, settings.UseTablePartitionManagement, settings.WorkerId));
        Assert.Equal((false, TimeSpan.FromSeconds(7), 100),
            (settings.ExtendedSessionsEnabled, settings.ExtendedSessionIdleTimeout, settings.ControlQueueBufferThreshold));
        Assert.NotNull(settings.StorageAccountClientProvider);
    }

    [Fact]
    public void The_defaults_favour_fast_recovery_and_low_latency_over_the_extensions()
    {
        var options = Bind(new() { ["AzureWebJobsStorage"] = Connection });

        var settings = options.ToServiceSettings(NullLoggerFactory.Instance);
        var engine = new AzureStorageOrchestrationServiceSettings();

        Assert.Equal(TimeSpan.FromSeconds(1), settings.MaxQueuePollingInterval);
        Assert.True(settings.MaxQueuePollingInterval < engine.MaxQueuePollingInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.ControlQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.WorkItemQueueVisibilityTimeout);
        Assert.True(settings.WorkItemQueueVisibilityTimeout < engine.WorkItemQueueVisibilityTimeout);
        Assert.Equal((TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)),
            (settings.LeaseInterval, settings.LeaseRenewInterval, settings.LeaseAcquireInterval));
        Assert.Equal((4, 32, true), (settings.PartitionCount, settings.ControlQueueBatchSize, settings.UseTablePartitionManagement));
        Assert.Equal(10 * Environment.ProcessorCount, settings.MaxConcurrentTaskActivityWorkItems);
        Assert.Equal((true, TimeSpan.FromSeconds(30), 64), (settings.ExtendedSessionsEnabled, settings.ExtendedSessionIdleTimeout, settings.ControlQueueBufferThreshold));
        Assert.False(engine.ExtendedSessionsEnabled);
    }

    [Fact]
    public void Each_process_gets_its_own_worker_id_unlike_the_engines_machine_name()
    {
        var first = new AzureStorageProviderOptions().WorkerId;
        var second = new AzureStorageProviderOptions().WorkerId;

        Assert.NotEqual(first, second);
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", first);
        Assert.Equal(Environment.MachineName, new AzureStorageOrchestrationServiceSettings().WorkerId);
    }

    [Fact]
    public void The_connection_is_looked_up_by_its_name_in_app_settings_then_connection_strings()
    {
        var fromSetting = Bind(new() { [D("storageProvider:connectionName")] = "Durable", ["Durable"] = "from-setting" });
        var fromConnectionStrings = Bind(new() { [D("storageProvider:connectionStringName")] = "Durable", ["ConnectionStrings:Durable"] = "from-cs" });

        Assert.Equal("from-setting", fromSetting.StorageProvider.ConnectionString);
        Assert.Equal("from-cs", fromConnectionStrings.StorageProvider.ConnectionString);
    }

    [Fact]
    public void Every_bad_setting_is_reported_at_start_naming_itself()
    {
        var services = Services(new()
        {
            [D("hubName")] = "1-bad",
            [D("maxConcurrentActivityFunctions")] = "0",
            [D("maxConcurrentOrchestratorFunctions")] = "-1",
            [D("storageProvider:partitionCount")] = "17",
            [D("storageProvider:controlQueueBatchSize")] = "33",
            [D("storageProvider:maxQueuePollingInterval")] = "00:00:00",
            [D("storageProvider:controlQueueVisibilityTimeout")] = "00:00:05",
            [D("storageProvider:workItemQueueVisibilityTimeout")] = "02:00:00",
            [D("storageProvider:leaseInterval")] = "00:00:04",
            [D("storageProvider:leaseRenewInterval")] = "00:00:04",
            [D("storageProvider:leaseAcquireInterval")] = "00:00:00",
            [D("storageProvider:workerId")] = " ",
            [D("extendedSessionIdleTimeoutInSeconds")] = "0",
            [D("storageProvider:controlQueueBufferThreshold")] = "0",
        });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value);

        var settings = new[]
        {
            "hubName", "maxConcurrentActivityFunctions", "maxConcurrentOrchestratorFunctions", "connectionName", "partitionCount",
            "controlQueueBatchSize", "maxQueuePollingInterval", "controlQueueVisibilityTimeout", "workItemQueueVisibilityTimeout",
            "leaseRenewInterval", "leaseAcquireInterval", "leaseInterval", "workerId", "extendedSessionIdleTimeoutInSeconds",
            "controlQueueBufferThreshold",
        };
        Assert.Equal(settings.Length, error.Failures.Count());
        Assert.All(settings, s => Assert.Single(error.Failures, f => f.StartsWith($"extensions:durableTask:", StringComparison.Ordinal)
            && f.Split(' ')[0].EndsWith(":" + s, StringComparison.Ordinal)));
        Assert.Contains(error.Failures, f => f.Contains("'AzureWebJobsStorage', which is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Good_settings_pass_validation()
    {
        var services = Services(new() { ["AzureWebJobsStorage"] = Connection, [D("hubName")] = "UrumiHub" });

        var options = services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

        Assert.Equal("UrumiHub", options.HubName);
    }

    [Fact]
    public void The_process_has_one_orchestration_service_serving_the_worker_and_clients()
    {
        var services = Services(new() { ["AzureWebJobsStorage"] = Connection, [D("hubName")] = "UrumiHub" });

        var service = services.GetRequiredService<AzureStorageOrchestrationService>();

        Assert.Same(service, services.GetRequiredService<DurableTask.Core.IOrchestrationService>());
        Assert.Same(service, services.GetRequiredService<DurableTask.Core.IOrchestrationServiceClient>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("UrumiHub")]
    [InlineData("")]
    public void The_task_hub_name_the_app_reads_is_the_one_the_worker_binds(string? hubName)
    {
        var values = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = Connection };
        if (hubName is not null)
        {
            values[D("hubName")] = hubName;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        var read = TaskHub.Name(configuration);
        var bound = configuration.GetSection(DurableTaskHubOptions.Section).Get<DurableTaskHubOptions>() ?? new DurableTaskHubOptions();

        Assert.Equal(bound.HubName, read);
        Assert.Equal(hubName ?? TaskHub.DefaultName, read);
    }

    private static DurableTaskHubOptions Bind(Dictionary<string, string?> values) =>
        Services(values).GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

    private static ServiceProvider Services(Dictionary<string, string?> values) =>
        new ServiceCollection()
            .AddLogging()
            .AddDurableTaskHub(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .BuildServiceProvider();

    /// <summary>A host.json setting's configuration key.</summary>
    private static string D(string setting) => $"{DurableTaskHubOptions.Section}:{setting}";
}

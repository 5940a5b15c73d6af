using System.Diagnostics;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Testing;
using Urumi.Hosting.Configuration;
using Xunit.Abstractions;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>
/// How soon an idle worker sees work sent by another process, with the self-host's default polling. The README's
/// figures for other settings come from this test run with URUMI_POLLING (maxQueuePollingInterval) and
/// URUMI_IDLE_SECONDS set.
/// </summary>
public sealed class QueuePollingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task An_idle_worker_runs_an_orchestration_started_by_another_process_within_seconds()
    {
        var idle = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("URUMI_IDLE_SECONDS") is { } s ? int.Parse(s) : 5);
        var polling = Environment.GetEnvironmentVariable("URUMI_POLLING");
        await using var worker = await DurableWorkerHost.StartAsync(_azurite, pollingInterval: polling);
        var options = worker.Host.Services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;
        // Another process: its own orchestration service on the same task hub, so no in-process wake-up.
        var otherProcess = new TaskHubClient(new AzureStorageOrchestrationService(options.ToServiceSettings(
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance)));
        await otherProcess.GetOrchestrationStateAsync("warm-up", allExecutions: false);
        var latencies = new List<TimeSpan>();

        for (var i = 0; i < 3; i++)
        {
            // The scenario is an idle worker: its queue reads back off to maxQueuePollingInterval while nothing comes.
            await Task.Delay(idle);
            var watch = Stopwatch.StartNew();
            var instance = await otherProcess.CreateOrchestrationInstanceAsync(nameof(TestOrchestrations.Counter), "", 3);
            await worker.CompletionAsync(instance);
            latencies.Add(watch.Elapsed);
        }

        output.WriteLine($"maxQueuePollingInterval {options.StorageProvider.MaxQueuePollingInterval}, idle {idle}: "
            + string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:F0} ms")));
        Assert.All(latencies, l => Assert.True(l < TimeSpan.FromSeconds(5), $"the idle worker answered after {l}"));
    }
}

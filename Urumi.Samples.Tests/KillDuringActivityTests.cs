using Microsoft.DurableTask.Client;
using DurableTask.Core.History;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class KillDuringActivityTests
{
    [Fact]
    public async Task Kill_9_while_activities_run_loses_nothing_and_every_task_completes()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var hub = "KillActivity";
        var first = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var client = first.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(first, "HelloSequence", new { delayMs = 1500 }, 4, "kill-activity");
        foreach (var id in ids)
        {
            await CrashRecovery.WaitForHistoryAsync(client, id, h => h.Any(e => e.EventType == EventType.TaskScheduled), "an activity to start");
        }

        first.Kill();
        await using var second = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => second.Output);

        Assert.All(results, r =>
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus);
            Assert.Equal(CrashRecovery.HelloSequenceOutput, r.ReadOutputAs<List<string>>());
        });
        foreach (var id in ids)
        {
            await CrashRecovery.AssertEveryTaskCompletedAsync(client, id);
        }
        await first.DisposeAsync();
    }
}

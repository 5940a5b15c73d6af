using DurableTask.Core.History;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class KillDuringTimerTests
{
    [Fact]
    public async Task Kill_9_while_a_timer_is_pending_fires_it_once_after_restart()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var hub = "KillTimer";
        var first = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var client = first.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(first, "Approval", 5, 2, "kill-timer");
        foreach (var id in ids)
        {
            await CrashRecovery.WaitForHistoryAsync(client, id, h => h.Any(e => e.EventType == EventType.TimerCreated), "the timer");
        }

        first.Kill();
        await using var second = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => second.Output);

        Assert.All(results, r => Assert.Equal("timed out", r.ReadOutputAs<string>()));
        foreach (var id in ids)
        {
            var history = await client.GetOrchestrationHistoryAsync(id);
            Assert.Single(history, e => e.EventType == EventType.TimerFired);
            await CrashRecovery.AssertEveryTaskCompletedAsync(client, id);
        }
        await first.DisposeAsync();
    }
}

using Urumi.Durable.Client;
using Urumi.Durable.Testing;
using Urumi.Durable.Tests.Support;

namespace Urumi.Durable.Tests.Integration;

public sealed class KillBetweenCheckpointStepsTests
{
    [Theory]
    [InlineData("checkpoint.afterSend=3")]
    [InlineData("checkpoint.afterHistoryAppend=3")]
    [InlineData("checkpoint.afterInstanceUpdate=4")]
    [InlineData("activity.beforeComplete=2")]
    public async Task A_crash_at_any_checkpoint_step_is_repaired_after_restart(string failpoint)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var hub = "KillCheckpoint";
        var settings = FunctionApp.FastFailover();
        settings["URUMI_FAILPOINTS"] = failpoint;
        var first = await FunctionApp.StartAsync(azurite.ConnectionString, hub, settings);
        var client = first.CreateStorageClient();
        var ids = await CrashRecovery.ScheduleAsync(client, "HelloSequence", null, 3, "kill-checkpoint");

        var exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("failpoint " + failpoint.Split('=')[0], first.Output);

        await using var second = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => second.Output);

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.All(results, r => Assert.Equal(5, r.ReadOutputAs<List<string>>()!.Count));
        foreach (var id in ids)
        {
            await CrashRecovery.AssertExactlyOnceCompletionsAsync(client, id);
        }
        var stale = await client.GetAllInstancesAsync(new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running] }).ToListAsync();
        Assert.Empty(stale);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task A_crash_after_an_HTTP_start_is_recorded_but_before_it_runs_is_repaired_after_restart()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var hub = "KillLocalStart";
        var settings = FunctionApp.FastFailover();
        settings["URUMI_FAILPOINTS"] = "client.beforeLocalStart=2";
        var first = await FunctionApp.StartAsync(azurite.ConnectionString, hub, settings);
        var client = first.CreateStorageClient();

        // The first start runs in the app's own worker; the app dies after recording the second, before running it.
        var started = await CrashRecovery.StartAsync(first, "HelloSequence", null, 1, "kill-start");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => first.Http.PostAsync("/api/orchestrators/HelloSequence/kill-start-1", null));
        var exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("failpoint client.beforeLocalStart", first.Output);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await client.GetInstanceAsync("kill-start-1"))!.RuntimeStatus);

        await using var second = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var results = await CrashRecovery.WaitAllCompletedAsync(client, [.. started, "kill-start-1"], TimeSpan.FromSeconds(120), () => second.Output);

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        await CrashRecovery.AssertExactlyOnceCompletionsAsync(client, "kill-start-1");
        await first.DisposeAsync();
    }
}

using System.Net;
using Microsoft.DurableTask.Client;
using DurableTask.Core.History;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class AzuriteRestartTests
{
    /// <summary>
    /// A storage outage mid-run: every instance completes with its whole output once storage is back. Activities are
    /// at least once here, not exactly once: Azurite, restarted, hands out again messages whose delete or visibility
    /// change it did not keep, every visibility timeout, until DurableTask.AzureStorage drops them as duplicates
    /// (measured: the last instance completed 53-63 s after the restart, with duplicate TaskCompleted events in 1 of
    /// 3 runs). Real Azure Storage keeps them; our activities are idempotent either way.
    /// </summary>
    [Fact(Skip = "Open finding (issue 14): after a storage outage, DurableTask.AzureStorage 2.11.2 can keep an activity message it failed to abandon in its in-flight set; every redelivery is then dropped ('being processed multiple times concurrently') and the instance waits until the worker restarts (1 run in 4 here).")]
    public async Task The_engine_reconnects_after_Azurite_restarts_mid_run_and_finishes()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, "AzuriteRestart", FunctionApp.FastFailover());
        var client = app.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(app, "HelloSequence", new { delayMs = 700 }, 5, "azurite-restart");
        await CrashRecovery.WaitForHistoryAsync(client, ids[0], h => h.Any(e => e is TaskScheduledEvent), "activities to run");

        await azurite.RestartAsync(whileDown: () => Eventually.Until(
            async () => (await app.Http.GetAsync("/health")).StatusCode,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the app to see storage down"));
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(180), () => app.Output);

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.All(results, r => Assert.Equal(CrashRecovery.HelloSequenceOutput, r.ReadOutputAs<string[]>()));
        foreach (var id in ids)
        {
            await CrashRecovery.AssertEveryTaskCompletedAsync(client, id);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/health")).StatusCode);
    }
}

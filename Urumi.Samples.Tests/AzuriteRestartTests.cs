using System.Net;
using Microsoft.DurableTask.Client;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class AzuriteRestartTests
{
    /// <summary>
    /// A storage outage that outlasts the storage client's retries while activities (3 s each) run: an activity finishing during
    /// it can neither complete nor be abandoned, and DurableTask.AzureStorage 2.11.2 keeps its message in its in-flight
    /// set, dropping every redelivery ("processed multiple times concurrently"). The outage lasts until that has
    /// happened (the worker logged a failed abandon of an activity), so without the worker's recycle the instance
    /// waits for good. With it, every instance completes with its whole output once storage is back. Activities are at
    /// least once here: restarted Azurite hands out again messages whose delete it did not keep.
    /// </summary>
    [Fact]
    public async Task The_engine_reconnects_after_Azurite_restarts_mid_run_and_finishes()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, "AzuriteRestart", FunctionApp.FastFailover());
        var client = app.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(app, "HelloSequence", new { delayMs = 3000 }, 4, "azurite-restart");

        // Storage goes down once every instance has recorded its first episode and an activity runs. An outage between
        // a first episode's activity message and its history write is not what this tests: DurableTask.AzureStorage
        // 2.11.2 can then leave the instance Pending for good, recycle or not (seen in CI under load).
        var mark = app.Output.Length;
        await StorageOutage.StrandAnActivityAsync(azurite, app, async () =>
            app.Output[mark..].Contains("Starting task activity [SayHello", StringComparison.Ordinal)
            && await CrashRecovery.AllRunningAsync(client, ids));
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(180), () => app.Output);

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.All(results, r => Assert.Equal(CrashRecovery.HelloSequenceOutput, r.ReadOutputAs<string[]>()));
        foreach (var id in ids)
        {
            await CrashRecovery.AssertEveryTaskCompletedAsync(client, id);
        }
        Assert.Contains(StorageOutage.RecycleLog, app.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/health")).StatusCode);
    }
}

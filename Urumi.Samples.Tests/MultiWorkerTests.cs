using Microsoft.DurableTask.Client;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class MultiWorkerTests
{
    [Fact]
    public async Task Two_workers_share_the_partitions_and_the_survivor_finishes_a_killed_workers_instances()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var hub = "TwoWorkers";
        await using var a = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var b = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        var client = a.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(a, "HelloSequence", new { delayMs = 1000 }, 8, "two-workers");
        // Both workers take part: each runs some of the activities (an activity's log names the worker's process).
        await Eventually.Until(() => Task.FromResult(a.Output + "\n" + b.Output),
            _ => a.Output.Contains("SayHello", StringComparison.Ordinal) && b.Output.Contains("SayHello", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), "both workers to run activities");
        var killedAt = DateTime.UtcNow;
        b.Kill();

        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => a.Output);
        var recoveredWithin = DateTime.UtcNow - killedAt;

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        foreach (var id in ids)
        {
            await CrashRecovery.AssertEveryTaskCompletedAsync(client, id);
        }
        Assert.True(recoveredWithin < TimeSpan.FromSeconds(60), $"recovery took {recoveredWithin}");
        await b.DisposeAsync();
    }
}

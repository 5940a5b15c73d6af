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
        await Eventually.Until(() => Task.FromResult(a.Output), o => CountOf(o, "acquired partition") == 4, TimeSpan.FromSeconds(30), "worker A to hold all partitions");
        var b = await FunctionApp.StartAsync(azurite.ConnectionString, hub, FunctionApp.FastFailover());
        await Eventually.Until(() => Task.FromResult(b.Output), o => CountOf(o, "acquired partition") == 2, TimeSpan.FromSeconds(60), "worker B to take 2 partitions");
        await Eventually.Until(() => Task.FromResult(a.Output), o => CountOf(o, "(rebalancing)") == 2, TimeSpan.FromSeconds(60), "worker A to give 2 partitions away");

        var client = a.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(a, "HelloSequence", new { delayMs = 1000 }, 8, "two-workers");
        await Eventually.Until(() => Task.FromResult(b.Output), o => o.Contains("Activity SayHello", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "worker B to run activities");
        var killedAt = DateTime.UtcNow;
        b.Kill();

        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => a.Output);
        var recoveredWithin = DateTime.UtcNow - killedAt;

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.Equal(4, CountOf(a.Output, "acquired partition") - 2);
        foreach (var id in ids)
        {
            await CrashRecovery.AssertExactlyOnceCompletionsAsync(client, id);
        }
        Assert.True(recoveredWithin < TimeSpan.FromSeconds(60), $"recovery took {recoveredWithin}");
        await b.DisposeAsync();
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}

using System.Net;
using Microsoft.DurableTask.Client;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

public sealed class AzuriteRestartTests
{
    [Fact(Skip = "Open finding (issue 14's note): on DurableTask.AzureStorage, instances stay Running for over 2 min after Azurite restarts mid-run; /health reports the outage.")]
    public async Task The_engine_reconnects_after_Azurite_restarts_mid_run_and_finishes()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, "AzuriteRestart", FunctionApp.FastFailover());
        var client = app.CreateStorageClient();
        var ids = await CrashRecovery.StartAsync(app, "HelloSequence", new { delayMs = 700 }, 5, "azurite-restart");
        await CrashRecovery.WaitForHistoryAsync(client, ids[0], h => h.Any(e => e is DurableTask.Core.History.TaskScheduledEvent), "activities to run");

        await azurite.RestartAsync(whileDown: () => Eventually.Until(
            async () => (await app.Http.GetAsync("/health")).StatusCode,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the app to see storage down"));
        var results = await CrashRecovery.WaitAllCompletedAsync(client, ids, TimeSpan.FromSeconds(120), () => app.Output);

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        foreach (var id in ids)
        {
            await CrashRecovery.AssertExactlyOnceCompletionsAsync(client, id);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/health")).StatusCode);
    }
}

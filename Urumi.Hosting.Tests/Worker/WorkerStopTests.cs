using System.Diagnostics;
using DurableTask.Core;
using Urumi.Testing;

namespace Urumi.Hosting.Tests.Worker;

public sealed class WorkerStopTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task A_stopping_worker_abandons_its_running_activity_and_the_next_worker_runs_it_again()
    {
        var hub = DurableWorkerHost.NewHubName();
        var probes = new ProbeLog();
        var key = Guid.NewGuid().ToString();
        var first = await DurableWorkerHost.StartAsync(_azurite, hub, probes);
        var instance = await first.StartAsync(nameof(TestOrchestrations.Interruptible), key);
        await Eventually.Until(() => Task.FromResult(probes.Attempts(key)), n => n == 1, TimeSpan.FromSeconds(30), "the activity to start");

        var stopping = Stopwatch.StartNew();
        await first.DisposeAsync();
        var stopTime = stopping.Elapsed;
        await using var second = await DurableWorkerHost.StartAsync(_azurite, hub, probes);
        var output = await second.OutputAsync<int>(instance);

        Assert.Equal(2, output);
        // The activity never ends on its own, so a stop that waited for it would not end. The bound is
        // ExtendedSessionTests': with extended sessions on, DurableTask.Core's dispatcher also waits up to 8 s for idle sessions.
        Assert.True(stopTime < TimeSpan.FromSeconds(15), $"the worker took {stopTime} to stop");
    }
}

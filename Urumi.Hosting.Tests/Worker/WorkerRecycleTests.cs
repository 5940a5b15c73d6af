using System.Reflection;
using DurableTask.AzureStorage;
using Urumi.Hosting.Worker;
using Urumi.Testing;

namespace Urumi.Hosting.Tests.Worker;

public sealed class WorkerRecycleTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public void A_message_is_stuck_when_it_is_dropped_a_second_time()
    {
        var drops = new DroppedRedeliveries();

        var first = drops.IsStuckAfter("m-1");
        var other = drops.IsStuckAfter("m-2");
        var again = drops.IsStuckAfter("M-1");
        drops.Clear();
        var afterClear = drops.IsStuckAfter("m-1");

        Assert.Equal((false, false, true, false), (first, other, again, afterClear));
    }

    [Fact]
    public async Task The_listener_reports_a_message_dropped_twice_on_its_own_task_hub_only()
    {
        using var listener = new StuckActivityMessageListener("HubA");

        ReportDrop("HubA", "m-1");
        ReportDrop("HubB", "m-2");
        ReportDrop("HubB", "m-2");
        AssertFailure("HubA", "Could not find context for work item with ID = m-1.");
        var early = listener.Stuck.IsCompleted;
        ReportDrop("HubA", "m-1");
        var stuck = await listener.Stuck.WaitAsync(TimeSpan.FromSeconds(5));
        listener.Reset();
        ReportDrop("HubA", "m-1");

        Assert.False(early);
        Assert.Equal("m-1", stuck);
        Assert.False(listener.Stuck.IsCompleted);
    }

    [Fact]
    public async Task A_worker_with_a_stuck_message_recycles_in_process_and_its_running_activity_runs_again()
    {
        var probes = new ProbeLog();
        var key = Guid.NewGuid().ToString();
        await using var worker = await DurableWorkerHost.StartAsync(_azurite, probes: probes);
        var instance = await worker.StartAsync(nameof(TestOrchestrations.Interruptible), key);
        await Eventually.Until(() => Task.FromResult(probes.Attempts(key)), n => n == 1, TimeSpan.FromSeconds(30), "the activity to start");

        ReportDrop(worker.HubName, "stuck-message");
        ReportDrop(worker.HubName, "stuck-message");
        var output = await worker.OutputAsync<int>(instance);
        var after = await worker.OutputAsync<string[]>(
            await worker.StartAsync(nameof(TestOrchestrations.Sequence), new GreetInput(["Lima"], "Hola")));

        Assert.Equal(2, output);
        Assert.Single(after);
    }

    // What DurableTask.AzureStorage writes when it drops a work-item message it holds as in flight.
    private static void ReportDrop(string hub, string messageId) =>
        AssertFailure(hub, $"Work item queue message with ID = {messageId} is being processed multiple times concurrently.");

    private static void AssertFailure(string hub, string details)
    {
        var source = typeof(AzureStorageOrchestrationService).Assembly.GetType("DurableTask.AzureStorage.AnalyticsEventSource", throwOnError: true)!;
        var log = source.GetField("Log", BindingFlags.Public | BindingFlags.Static)!.GetValue(null);
        source.GetMethod("AssertFailure")!.Invoke(log, ["devstoreaccount1", hub, details, "test", "2.11.2"]);
    }
}

using System.Collections.Concurrent;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Urumi.Functions.Cluster;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// The decisions of ProvisionStore and DeleteStore, run in memory (Microsoft's DurableTaskTestHost) with fake
/// activities registered under the real names, a fake gate under the gate's instance id, and the store's row kept by
/// the real <see cref="StoreLifecycle"/>. The orchestrators are the real [Function] methods, registered through a thin
/// adapter (AddOrchestratorFunc calling ProvisionStore.Run / DeleteStore.Run).
/// </summary>
public sealed class ProvisioningDecisionTests : IAsyncLifetime
{
    private const string StoreId = "shop-1a2b";
    private const string ProvisionId = StoreId + ".provision.1";
    private const string DeleteId = StoreId + ".delete.1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly Fakes _fakes = new();
    private DurableTaskTestHost _host = null!;

    private DurableTaskClient Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await StartHostAsync();
        await Client.ScheduleNewOrchestrationInstanceAsync("FakeGate", new StartOrchestrationOptions(ProvisioningGate.InstanceId));
    }

    /// <summary>
    /// DurableTaskTestHost binds its gRPC sidecar to a random port in 30000-40000, a range the kernel also hands out to
    /// other tests' processes: a start that finds its port taken tries again on another.
    /// </summary>
    private async Task<DurableTaskTestHost> StartHostAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(_fakes.Register);
            }
            catch (IOException e) when (attempt < 5 && e.GetBaseException() is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
            }
        }
    }

    public async Task DisposeAsync()
    {
        _fakes.Unblock.TrySetResult();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_store_that_becomes_ready_gives_its_slot_back()
    {
        var result = await ProvisionAsync(Request());

        Assert.Equal(ProvisionOutcome.Ready, result.Outcome);
        Assert.Equal([GateOp.Acquire, GateOp.Release], _fakes.Signals.Where(s => s.InstanceId == ProvisionId).Select(s => s.Op));
        Assert.Equal(["ApplyStoreEvent", "PrepareNamespace", "InstallRelease", "VerifyRollout"], _fakes.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failed_step_is_cleaned_up_unless_keep_failed_and_the_store_ends_failed(bool keepFailed)
    {
        _fakes.Behaviour = name => name == nameof(StoreActivities.InstallRelease) ? throw new PermanentStoreException("the chart is broken") : Task.CompletedTask;

        var result = await ProvisionAsync(Request(keepFailed: keepFailed));

        Assert.Equal(ProvisionOutcome.Failed, result.Outcome);
        Assert.StartsWith("step Install failed: the chart is broken", result.Reason, StringComparison.Ordinal);
        string[] cleanup = keepFailed ? [] : ["UninstallRelease", "DeleteNamespace", "ReadNamespace"];
        Assert.Equal(["ApplyStoreEvent", "PrepareNamespace", "InstallRelease", "ApplyStoreEvent", .. cleanup, "ApplyStoreEvent", "ReportTimings"], _fakes.Calls);
        Assert.Equal((StorePhase.Failed, keepFailed), (_fakes.Row!.Phase, _fakes.Row.HoldsResources));
        Assert.Contains(_fakes.Signals, s => s.InstanceId == ProvisionId && s.Op == GateOp.Release);
    }

    [Fact]
    public async Task A_deadline_that_passes_during_a_step_interrupts_helm_and_fails_naming_the_step()
    {
        _fakes.Behaviour = name => name == nameof(StoreActivities.InstallRelease) ? _fakes.Unblock.Task : Task.CompletedTask;

        var result = await ProvisionAsync(Request(deadline: TimeSpan.FromSeconds(2)));

        Assert.Equal(ProvisionOutcome.Failed, result.Outcome);
        Assert.StartsWith("the provisioning deadline (00:00:02) passed during step Install", result.Reason, StringComparison.Ordinal);
        Assert.Contains("InterruptHelm", _fakes.Calls);
        Assert.True(_fakes.Calls.ToList().IndexOf("InterruptHelm") < _fakes.Calls.ToList().IndexOf("UninstallRelease"), string.Join(", ", _fakes.Calls));
        Assert.Equal(StorePhase.Failed, _fakes.Row!.Phase);
    }

    [Fact]
    public async Task A_store_deleted_while_queued_stops_leaves_the_queue_and_tells_the_delete()
    {
        _fakes.GrantSlots = false;
        await Client.ScheduleNewOrchestrationInstanceAsync("FakeDelete", new StartOrchestrationOptions(DeleteId));
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), Request(), ProvisionStore.StartOptions(ProvisionId));
        await UntilAsync(() => _fakes.Signals.Any(s => s.Op == GateOp.Acquire), "the provisioning queues at the gate");

        await Client.RaiseEventAsync(ProvisionId, ProvisionStore.CancelEvent, new CancelRequest(new Requester("alice", "127.0.0.1"), DeleteId));
        var result = await OutputAsync<ProvisionResult>(ProvisionId);
        var told = await OutputAsync<string>(DeleteId);

        Assert.Equal((ProvisionOutcome.Stopped, "deleted while queued"), (result.Outcome, result.Reason));
        Assert.Equal(ProvisionId, told);
        Assert.Contains(_fakes.Signals, s => s.InstanceId == ProvisionId && s.Op == GateOp.Release);
        Assert.DoesNotContain("PrepareNamespace", _fakes.Calls);
    }

    [Fact]
    public async Task A_store_deleted_during_a_step_interrupts_helm_and_stops()
    {
        _fakes.Behaviour = name => name == nameof(StoreActivities.InstallRelease) ? _fakes.Unblock.Task : Task.CompletedTask;
        await Client.ScheduleNewOrchestrationInstanceAsync("FakeDelete", new StartOrchestrationOptions(DeleteId));
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), Request(), ProvisionStore.StartOptions(ProvisionId));
        await UntilAsync(() => _fakes.Calls.Contains("InstallRelease"), "the install starts");

        await Client.RaiseEventAsync(ProvisionId, ProvisionStore.CancelEvent, new CancelRequest(new Requester("alice", "127.0.0.1"), DeleteId));
        var result = await OutputAsync<ProvisionResult>(ProvisionId);

        Assert.Equal((ProvisionOutcome.Stopped, "deleted while provisioning"), (result.Outcome, result.Reason));
        Assert.Contains("InterruptHelm", _fakes.Calls);
        Assert.DoesNotContain("UninstallRelease", _fakes.Calls);
        Assert.Equal(ProvisionId, await OutputAsync<string>(DeleteId));
    }

    [Fact]
    public async Task A_store_that_waits_a_whole_deadline_for_a_slot_fails_and_leaves_the_queue()
    {
        _fakes.GrantSlots = false;

        var result = await ProvisionAsync(Request(deadline: TimeSpan.FromSeconds(1)));

        Assert.Equal(ProvisionOutcome.Failed, result.Outcome);
        Assert.Contains("passed while the store waited for a provisioning slot", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["ApplyStoreEvent", "ApplyStoreEvent", "ReportTimings"], _fakes.Calls);
        Assert.Equal(StorePhase.Failed, _fakes.Row!.Phase);
        Assert.Equal([GateOp.Acquire, GateOp.Release], _fakes.Signals.Where(s => s.InstanceId == ProvisionId).Select(s => s.Op));
    }

    [Fact]
    public async Task A_first_provisioning_started_late_by_a_recovery_without_its_claims_records_nothing()
    {
        _fakes.HoldsClaims = false;

        var result = await ProvisionAsync(Request() with { RequestedAt = DateTimeOffset.UtcNow.AddMinutes(-10) });

        Assert.Equal(ProvisionOutcome.Skipped, result.Outcome);
        Assert.Equal(["HoldsClaims"], _fakes.Calls);
        Assert.Null(_fakes.Row);
        Assert.DoesNotContain(_fakes.Signals, s => s.InstanceId == ProvisionId);
    }

    [Fact]
    public async Task A_store_deleted_before_its_provisioning_ran_gives_back_the_slot_it_asked_for_and_starts_no_step()
    {
        var deleting = StoreLifecycle.Apply(StoreLifecycle.Accept(Request().Accepted, DateTimeOffset.UtcNow), new StoreEvent.DeleteRequested(), DateTimeOffset.UtcNow).Store;
        _fakes.Row = StoreLifecycle.Apply(deleting, new StoreEvent.Deleted(null), DateTimeOffset.UtcNow).Store;
        Assert.Equal(StorePhase.Deleted, _fakes.Row!.Phase);

        var result = await ProvisionAsync(Request());
        await GateHeardAllAsync();

        Assert.Equal(ProvisionOutcome.Skipped, result.Outcome);
        Assert.Equal(["ApplyStoreEvent"], _fakes.Calls);
        Assert.Equal([GateOp.Acquire, GateOp.Release], _fakes.Signals.Where(s => s.InstanceId == ProvisionId).Select(s => s.Op));
    }

    /// <summary>
    /// This build's provisioning asks the gate for a slot in its first episode, beside the row's write (the gate
    /// tolerates an acquire that comes before the status showing the asker waiting: ProvisioningGateTests). One
    /// started by an earlier build (no version) asks after the write, as its history says, so its replay still matches.
    /// </summary>
    [Theory]
    [InlineData(ProvisionStore.Version, 1)]
    [InlineData(null, 0)]
    public async Task The_acquire_goes_out_beside_the_row_write_or_after_it_for_a_provisioning_of_an_earlier_build(string? version, int whileWritingExpected)
    {
        _fakes.Behaviour = name => name == nameof(StoreActivities.ApplyStoreEvent) ? _fakes.Unblock.Task : Task.CompletedTask;
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), Request(), new StartOrchestrationOptions(ProvisionId) { Version = version });
        await UntilAsync(() => _fakes.Calls.Contains("ApplyStoreEvent"), "the row's write is under way");
        var shown = await Client.GetInstanceAsync(ProvisionId, getInputsAndOutputs: true);
        await GateHeardAllAsync();
        var whileWriting = _fakes.Signals.Count(s => s.InstanceId == ProvisionId);

        _fakes.Unblock.TrySetResult();
        var result = await OutputAsync<ProvisionResult>(ProvisionId);

        Assert.Equal(GatePlace.Waiting, shown!.ReadCustomStatusAs<GateTicket>()!.Place);
        Assert.Equal(whileWritingExpected, whileWriting);
        Assert.Equal(ProvisionOutcome.Ready, result.Outcome);
        Assert.Equal([GateOp.Acquire, GateOp.Release], _fakes.Signals.Where(s => s.InstanceId == ProvisionId).Select(s => s.Op));
    }

    [Fact]
    public async Task A_provisioning_whose_row_cannot_be_written_fails_and_gives_back_the_slot_it_asked_for()
    {
        _fakes.Behaviour = name => name == nameof(StoreActivities.ApplyStoreEvent) ? throw new PermanentStoreException("storage refused") : Task.CompletedTask;

        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), Request(), ProvisionStore.StartOptions(ProvisionId));
        var failed = await Client.WaitForInstanceCompletionAsync(ProvisionId, getInputsAndOutputs: true, new CancellationTokenSource(Wait).Token);
        await GateHeardAllAsync();

        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Equal(["ApplyStoreEvent"], _fakes.Calls);
        Assert.Equal([GateOp.Acquire, GateOp.Release], _fakes.Signals.Where(s => s.InstanceId == ProvisionId).Select(s => s.Op));
    }

    [Fact]
    public async Task A_delete_uninstalls_deletes_the_namespace_and_marks_the_store_deleted()
    {
        _fakes.Row = StoreLifecycle.Accept(Request().Accepted, DateTimeOffset.UtcNow);
        _fakes.Behaviour = name => name == nameof(StoreActivities.UninstallRelease) ? throw new PermanentStoreException("release: not found") : Task.CompletedTask;

        var result = await DeleteAsync();

        Assert.Equal((DeleteOutcome.Deleted, "release: not found"), (result.Outcome, result.Reason));
        Assert.Equal(["ApplyStoreEvent", "ApplyStoreEvent", "UninstallRelease", "ApplyStoreEvent", "DeleteNamespace", "ReadNamespace", "ApplyStoreEvent"], _fakes.Calls);
        Assert.Equal((StorePhase.Deleted, StoreStep.Deleted), (_fakes.Row!.Phase, _fakes.Row.Step));
        Assert.Contains("helm uninstall failed (release: not found)", _fakes.Row.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delete_waits_for_a_provisioning_that_never_stops_only_its_deadline_and_cleanup_then_goes_on()
    {
        _fakes.Row = StoreLifecycle.Accept(Request().Accepted, DateTimeOffset.UtcNow);
        _fakes.ProvisioningRuns = true;
        var policy = Policy(TimeSpan.FromSeconds(1));

        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeleteStore), new DeleteRequest(StoreId, "alice", new Requester("alice", "127.0.0.1"), ProvisionId, policy),
            new StartOrchestrationOptions(DeleteId));
        var result = await OutputAsync<DeleteResult>(DeleteId);

        Assert.Equal(DeleteOutcome.Deleted, result.Outcome);
        Assert.True(_fakes.Calls.Count(c => c == nameof(StoreActivities.IsInstanceRunning)) >= 2, string.Join(", ", _fakes.Calls));
        Assert.Equal(TimeSpan.FromMilliseconds(2300), policy.StopWait());
    }

    [Fact]
    public async Task A_delete_whose_namespace_does_not_go_leaves_the_store_deleting_and_says_why()
    {
        _fakes.Row = StoreLifecycle.Accept(Request().Accepted, DateTimeOffset.UtcNow);
        _fakes.Namespace = new NamespaceState(true, "Terminating", ["NamespaceContentRemaining: pods remain"]);

        var result = await DeleteAsync();

        Assert.Equal(DeleteOutcome.Stuck, result.Outcome);
        Assert.Equal((StorePhase.Deleting, StoreStep.NamespaceStuck), (_fakes.Row!.Phase, _fakes.Row.Step));
        Assert.Contains("pods remain", _fakes.Row.LastError, StringComparison.Ordinal);
    }

    private async Task<ProvisionResult> ProvisionAsync(StoreRequest request)
    {
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), request, ProvisionStore.StartOptions(ProvisionId));
        return await OutputAsync<ProvisionResult>(ProvisionId);
    }

    private async Task<DeleteResult> DeleteAsync()
    {
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeleteStore), new DeleteRequest(StoreId, "alice", new Requester("alice", "127.0.0.1"), null, Policy(TimeSpan.FromMinutes(1))),
            new StartOrchestrationOptions(DeleteId));
        return await OutputAsync<DeleteResult>(DeleteId);
    }

    private async Task<T> OutputAsync<T>(string instanceId)
    {
        var deadline = DateTime.UtcNow + Wait;
        var done = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
        while (done is not { IsCompleted: true })
        {
            Assert.True(DateTime.UtcNow < deadline, $"{instanceId} is still {done?.RuntimeStatus} after {Wait}; activities called: {string.Join(", ", _fakes.Calls)}");
            await Task.Delay(50);
            done = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
        }
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{instanceId} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<T>()!;
    }

    /// <summary>Waits until the gate has taken every signal sent before now: a marker raised now reaches it after them.</summary>
    private async Task GateHeardAllAsync()
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await Client.RaiseEventAsync(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateOp.Release, marker));
        await UntilAsync(() => _fakes.Signals.Any(s => s.InstanceId == marker), "the gate hears the marker");
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    private static StoreRequest Request(bool keepFailed = false, TimeSpan? deadline = null) =>
        new(StoreId, "shop", "woocommerce", "small", "alice", $"https://{StoreId}.example", 1, keepFailed,
            new Requester("alice", "127.0.0.1"), Policy(deadline ?? TimeSpan.FromMinutes(1)), DateTimeOffset.UtcNow);

    private static ProvisioningPolicy Policy(TimeSpan deadline) =>
        new(deadline, 1, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(1));

    /// <summary>The fake activities, gate and delete, and what they saw.</summary>
    private sealed class Fakes
    {
        private readonly Lock _row = new();

        public ConcurrentQueue<string> Calls { get; } = new();

        public ConcurrentQueue<GateSignal> Signals { get; } = new();

        public Store? Row { get; set; }

        public bool GrantSlots { get; set; } = true;

        public bool HoldsClaims { get; set; } = true;

        /// <summary>What IsInstanceRunning answers for the provisioning a delete waits for.</summary>
        public bool ProvisioningRuns { get; set; }

        public NamespaceState Namespace { get; set; } = new(false, null, []);

        /// <summary>What an activity does once called (by name): nothing, throw, or wait for <see cref="Unblock"/> (as helm runs until interrupted).</summary>
        public Func<string, Task> Behaviour { get; set; } = _ => Task.CompletedTask;

        public TaskCompletionSource Unblock { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Register(DurableTaskRegistry tasks)
        {
            tasks.AddOrchestratorFunc<StoreRequest, ProvisionResult>(nameof(ProvisionStore), (context, _) => ProvisionStore.Run(context));
            tasks.AddOrchestratorFunc<DeleteRequest, DeleteResult>(nameof(DeleteStore), (context, _) => DeleteStore.Run(context));
            tasks.AddOrchestratorFunc<object?, object?>("FakeGate", Gate);
            tasks.AddOrchestratorFunc<object?, string>("FakeDelete", (context, _) => context.WaitForExternalEvent<string>(ProvisionStore.StoppedEvent));
            tasks.AddActivityFunc<StoreChange, StoreTransition>(nameof(StoreActivities.ApplyStoreEvent), (_, change) => Act(nameof(StoreActivities.ApplyStoreEvent), () => Apply(change)));
            tasks.AddActivityFunc<StoreRequest, bool>(nameof(StoreActivities.HoldsClaims), (_, _) => Act(nameof(StoreActivities.HoldsClaims), () => HoldsClaims));
            tasks.AddActivityFunc<StoreRequest, bool>(nameof(StoreActivities.PrepareNamespace), (_, _) => Act(nameof(StoreActivities.PrepareNamespace), () => true));
            tasks.AddActivityFunc<StoreRequest, InstallOutcome>(nameof(StoreActivities.InstallRelease),
                (_, _) => Act(nameof(StoreActivities.InstallRelease), () => new InstallOutcome(1, "deployed", "v3", false, null)));
            tasks.AddActivityFunc<StoreRequest, string>(nameof(StoreActivities.VerifyRollout), (_, _) => Act(nameof(StoreActivities.VerifyRollout), () => "all rolled out"));
            tasks.AddActivityFunc<string, bool>(nameof(StoreActivities.InterruptHelm), (_, _) => Act(nameof(StoreActivities.InterruptHelm), () => Unblock.TrySetResult()));
            tasks.AddActivityFunc<StoreTarget, bool>(nameof(StoreActivities.UninstallRelease), (_, _) => Act(nameof(StoreActivities.UninstallRelease), () => true));
            tasks.AddActivityFunc<StoreTarget, bool>(nameof(StoreActivities.DeleteNamespace), (_, _) => Act(nameof(StoreActivities.DeleteNamespace), () => true));
            tasks.AddActivityFunc<StoreTarget, NamespaceState>(nameof(StoreActivities.ReadNamespace), (_, _) => Act(nameof(StoreActivities.ReadNamespace), () => Namespace));
            tasks.AddActivityFunc<string, bool>(nameof(StoreActivities.IsInstanceRunning), (_, _) => Act(nameof(StoreActivities.IsInstanceRunning), () => ProvisioningRuns));
            tasks.AddActivityFunc<StoreTimingReport, bool>(nameof(StoreActivities.ReportTimings), (_, _) => Act(nameof(StoreActivities.ReportTimings), () => true));
        }

        private async Task<T> Act<T>(string name, Func<T> result)
        {
            Calls.Enqueue(name);
            await Behaviour(name);
            return result();
        }

        private StoreTransition Apply(StoreChange change)
        {
            lock (_row)
            {
                var transition = StoreLifecycle.Apply(Row, change.Event, DateTimeOffset.UtcNow);
                Row = transition.Store;
                return transition;
            }
        }

        /// <summary>Records every signal; grants each acquire at once when <see cref="GrantSlots"/>.</summary>
        private async Task<object?> Gate(TaskOrchestrationContext context, object? _)
        {
            // Enough signals for one test (a gate that ran forever would need ContinueAsNew).
            for (var n = 0; n < 100; n++)
            {
                var signal = await context.WaitForExternalEvent<GateSignal>(ProvisioningGate.SignalEvent);
                if (!context.IsReplaying)
                {
                    Signals.Enqueue(signal);
                }
                if (signal is { Op: GateOp.Acquire, InstanceId: { } asker } && GrantSlots)
                {
                    context.SendEvent(asker, ProvisioningGate.GrantedEvent, true);
                }
            }
            return null;
        }
    }
}

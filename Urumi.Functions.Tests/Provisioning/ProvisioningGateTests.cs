using System.Text.Json;
using Microsoft.DurableTask.Client;
using Urumi.Functions.Info;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// The gate's decisions (Apply, Admit) and the waiting list (GateQueue) driven as the orchestration drives them,
/// against a model of the provisionings (their custom status is the waiting list), at 10,000 queued stores.
/// </summary>
public sealed class ProvisioningGateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 4, 0, 0, TimeSpan.Zero);

    /// <summary>The provisionings (by instance id) and the gate, stepped as ProvisioningGate.Run steps them.</summary>
    private sealed class Fleet(int capacity)
    {
        public Dictionary<string, GateQueue.Entry> Provisionings { get; } = new(StringComparer.Ordinal);
        public GateState Gate { get; set; } = GateState.New(capacity);

        /// <summary>The gate's clock (its CurrentUtcDateTime).</summary>
        public DateTime Now { get; set; } = T0.UtcDateTime;
        public List<string> Granted { get; } = [];
        public int Reads { get; private set; }

        public void Start() => AdmitWaiters();

        private readonly Dictionary<string, GateQueue.Entry> unshown = new(StringComparer.Ordinal);

        /// <summary>
        /// A provisioning records its store (its custom status says Waiting) and sends its acquire; when not
        /// <paramref name="shown"/>, the gate hears the acquire before the status is written (<see cref="Show"/>).
        /// </summary>
        public void Queue(string id, DateTimeOffset createdAt, bool gateHears = true, bool shown = true)
        {
            var entry = new GateQueue.Entry(id, createdAt, GatePlace.Waiting);
            if (shown)
            {
                Provisionings[id] = entry;
            }
            else
            {
                unshown[id] = entry;
            }
            if (gateHears)
            {
                Signal(new GateSignal(GateOp.Acquire, id));
            }
        }

        /// <summary>The status of a provisioning queued unshown is written.</summary>
        public void Show(string id)
        {
            Provisionings[id] = unshown[id];
            unshown.Remove(id);
        }

        /// <summary>
        /// A recheck timer made for <paramref name="at"/> fires, as in ProvisioningGate.Run: it reads only when the
        /// gate's recheck is due by then (a later miss may have moved it on). False when it did not read.
        /// </summary>
        public bool TimerFires(DateTime at)
        {
            Now = at;
            if (Gate.RecheckAt is not { } due || at < due)
            {
                return false;
            }
            if (Gate.MustReadQueue)
            {
                AdmitWaiters(recheck: true);
            }
            else
            {
                Gate = Gate with { RecheckAt = null };
            }
            return true;
        }

        /// <summary>The recheck timer fires when it is due.</summary>
        public bool Recheck() => Gate.RecheckAt is { } due && TimerFires(due);

        /// <summary>A provisioning that ends (a holder done, or a waiter deleted): its status clears, it releases.</summary>
        public void End(string id)
        {
            Provisionings.Remove(id);
            Signal(new GateSignal(GateOp.Release, id));
        }

        public void Signal(GateSignal signal)
        {
            Gate = ProvisioningGate.Apply(Gate, signal, out var granted);
            Grant(granted);
            AdmitWaiters();
        }

        private void AdmitWaiters(bool recheck = false)
        {
            if (!Gate.MustReadQueue)
            {
                return;
            }
            Reads++;
            var view = GateQueue.View(Provisionings.Values, new GateQueueQuery(Math.Max(0, Gate.Capacity - Gate.Holders.Count), [.. Gate.Holders], Gate.Rebuild));
            Gate = ProvisioningGate.Admit(Gate, view, Now, out var granted, recheck);
            Grant(granted);
        }

        private void Grant(IReadOnlyList<string> granted)
        {
            foreach (var id in granted)
            {
                Granted.Add(id);
                Provisionings[id] = Provisionings[id] with { Place = GatePlace.Holding };
            }
        }
    }

    private static string Id(int i) => $"store-with-a-forty-character-name-{i:D5}.provision.1";

    [Fact]
    public void With_10000_stores_queued_the_gate_admits_in_arrival_order_its_state_stays_small_and_positions_stay_right()
    {
        var fleet = new Fleet(capacity: 3);
        fleet.Start();
        for (var i = 0; i < 10_000; i++)
        {
            // Pairs created in the same millisecond: the instance id breaks the tie.
            fleet.Queue(Id(i), T0.AddMilliseconds(i / 2));
        }

        var stateBytes = JsonSerializer.SerializeToUtf8Bytes(fleet.Gate).Length;
        var statusBytes = JsonSerializer.SerializeToUtf8Bytes(GateStatus.Of(fleet.Gate, T0.UtcDateTime)).Length;
        var order = GateQueue.Order(fleet.Provisionings.Values);
        var positions = GateQueue.Positions(order);

        Assert.Equal([Id(0), Id(1), Id(2)], fleet.Granted);
        Assert.Equal(9_997, fleet.Gate.Waiting);
        Assert.True(stateBytes < 512, $"the gate's state is {stateBytes} bytes");
        Assert.True(statusBytes < 256, $"the gate's status is {statusBytes} bytes");
        Assert.Equal(9_997, positions.Count);
        Assert.All(Enumerable.Range(3, 9_997), i => Assert.Equal(i - 2, positions[Id(i)]));
    }

    [Fact]
    public void Draining_10000_queued_stores_with_deletes_among_them_admits_each_survivor_once_in_order_and_keeps_positions_right()
    {
        var fleet = new Fleet(capacity: 4);
        fleet.Start();
        for (var i = 0; i < 10_000; i++)
        {
            fleet.Queue(Id(i), T0.AddMilliseconds(i));
        }
        var deletes = Enumerable.Range(0, 10_000).Where(i => i % 7 == 5).Select(Id).ToList();
        var deleted = deletes.ToHashSet();
        var maxBytes = 0;

        var step = 0;
        while (fleet.Gate.Holders.Count > 0)
        {
            fleet.End(fleet.Gate.Holders[0]);
            if (step < deletes.Count && deletes[step] is var leaving && fleet.Provisionings.GetValueOrDefault(leaving) is { Place: GatePlace.Waiting })
            {
                fleet.End(leaving);
            }
            maxBytes = Math.Max(maxBytes, JsonSerializer.SerializeToUtf8Bytes(fleet.Gate).Length);
            if (++step % 1000 == 0)
            {
                var waiting = fleet.Provisionings.Values.Where(p => p.Place == GatePlace.Waiting).OrderBy(p => p.CreatedAt).Select(p => p.InstanceId).ToList();
                Assert.Equal(waiting.Count, fleet.Gate.Waiting);
                Assert.Equal(waiting, GateQueue.Order(fleet.Provisionings.Values));
            }
        }

        var survivors = Enumerable.Range(0, 10_000).Select(Id).Where(id => !deleted.Contains(id) || fleet.Granted.Contains(id)).ToList();
        Assert.Equal(survivors, fleet.Granted);
        Assert.Equal(0, fleet.Gate.Waiting);
        Assert.True(maxBytes < 512, $"the gate's state reached {maxBytes} bytes");
    }

    [Fact]
    public void A_gate_recreated_after_it_was_lost_takes_back_its_holders_and_admits_the_oldest_waiter_it_never_heard_of()
    {
        var fleet = new Fleet(capacity: 2);
        fleet.Start();
        for (var i = 0; i < 5; i++)
        {
            fleet.Queue(Id(i), T0.AddSeconds(i));
        }
        // The gate is terminated (or purged); meanwhile two more stores queue, and their acquires are lost.
        fleet.Gate = GateState.New(2);
        fleet.Queue(Id(5), T0.AddSeconds(5), gateHears: false);
        fleet.Queue(Id(6), T0.AddSeconds(6), gateHears: false);
        fleet.Granted.Clear();

        fleet.Start();
        var rebuilt = fleet.Gate with { Holders = [.. fleet.Gate.Holders] };
        fleet.End(Id(0));

        Assert.Equal([Id(0), Id(1)], rebuilt.Holders);
        Assert.Equal(5, rebuilt.Waiting);
        Assert.False(rebuilt.Rebuild);
        Assert.Equal([Id(2)], fleet.Granted);
        Assert.Equal(4, fleet.Gate.Waiting);
    }

    [Fact]
    public void An_acquire_finds_a_free_slot_at_once_and_a_waiter_that_leaves_is_no_longer_counted()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        fleet.Queue("a", T0);
        var readsAfterFirst = fleet.Reads;
        fleet.Queue("b", T0.AddSeconds(1));
        fleet.Queue("c", T0.AddSeconds(2));
        fleet.Signal(new GateSignal(GateOp.Acquire, "a"));

        fleet.End("b");
        var waitingAfterLeave = fleet.Gate.Waiting;
        fleet.End("a");

        Assert.Equal(1, readsAfterFirst);
        Assert.Equal(1, waitingAfterLeave);
        Assert.Equal(["a", "c"], fleet.Granted);
        Assert.Equal(0, fleet.Gate.Waiting);
    }

    [Fact]
    public void A_waiter_heard_before_its_place_shows_is_still_counted_and_admitted_when_the_next_slot_frees()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        fleet.Queue("a", T0);
        fleet.Queue("b", T0.AddSeconds(1));
        fleet.Queue("c", T0.AddSeconds(2), shown: false);

        fleet.End("a");
        var afterFirstRelease = fleet.Gate;
        fleet.Show("c");
        fleet.End("b");

        Assert.Equal(1, afterFirstRelease.Waiting);
        Assert.Null(afterFirstRelease.RecheckAt);
        Assert.Equal(["a", "b", "c"], fleet.Granted);
        Assert.Equal(0, fleet.Gate.Waiting);
    }

    [Fact]
    public void A_read_that_misses_counted_waiters_beside_a_free_slot_is_made_again_and_admits_them()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        fleet.Queue("a", T0);
        fleet.Queue("b", T0.AddSeconds(1), shown: false);
        fleet.Queue("c", T0.AddSeconds(2), shown: false);

        fleet.End("a");
        var missed = fleet.Gate;
        fleet.Show("b");
        fleet.Show("c");
        var rechecked = fleet.Recheck();
        var afterRecheck = fleet.Gate;
        fleet.End("b");

        Assert.Equal(T0.UtcDateTime + GateState.RecheckDelay, missed.RecheckAt);
        Assert.Equal(2, missed.Waiting);
        Assert.True(rechecked);
        Assert.Equal(1, afterRecheck.Waiting);
        Assert.Null(afterRecheck.RecheckAt);
        Assert.Equal(["a", "b", "c"], fleet.Granted);
        Assert.Equal(0, fleet.Gate.Waiting);
    }

    [Fact]
    public void A_count_the_recheck_does_not_confirm_is_dropped_so_the_next_acquire_is_admitted_at_once()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        fleet.Queue("a", T0);
        // b's acquire is heard, but it never shows a place (it was deleted before its status was written, say).
        fleet.Queue("b", T0.AddSeconds(1), shown: false);
        fleet.End("a");
        var rechecked = fleet.Recheck();
        var readsBefore = fleet.Reads;

        fleet.Queue("d", T0.AddSeconds(3));

        Assert.True(rechecked);
        Assert.Equal(["a", "d"], fleet.Granted);
        Assert.Equal(readsBefore, fleet.Reads);
        Assert.Equal(0, fleet.Gate.Waiting);
        Assert.Null(fleet.Gate.RecheckAt);
    }

    [Fact]
    public void A_miss_after_another_moves_the_recheck_on_so_the_earlier_timer_does_not_read_too_soon()
    {
        var fleet = new Fleet(capacity: 2);
        fleet.Start();
        fleet.Queue("a", T0);
        fleet.Queue("b", T0.AddSeconds(1));
        fleet.Queue("w1", T0.AddSeconds(2), shown: false);
        fleet.End("a");
        var firstDue = fleet.Gate.RecheckAt!.Value;
        // 0.9 s later, a second asker is heard before its place shows, and a read (a release) misses it too.
        fleet.Show("w1");
        fleet.Now = firstDue.AddMilliseconds(-100);
        fleet.Queue("w2", T0.AddSeconds(3), shown: false);
        fleet.End("b");
        var secondDue = fleet.Gate.RecheckAt;

        var readEarly = fleet.TimerFires(firstDue);
        fleet.Show("w2");
        var readWhenDue = fleet.TimerFires(secondDue!.Value);

        Assert.Equal(firstDue.AddMilliseconds(-100) + GateState.RecheckDelay, secondDue);
        Assert.False(readEarly);
        Assert.True(readWhenDue);
        Assert.Equal(["a", "b", "w1", "w2"], fleet.Granted);
        Assert.Equal(0, fleet.Gate.Waiting);
        Assert.Null(fleet.Gate.RecheckAt);
    }

    [Fact]
    public void A_gate_state_written_by_the_previous_build_believes_every_read_as_that_build_did()
    {
        var fleet = new Fleet(capacity: 1) { Gate = new GateState(1, []) };
        fleet.Start();
        fleet.Queue("a", T0);
        fleet.Queue("b", T0.AddSeconds(1), shown: false);

        fleet.End("a");

        Assert.False(fleet.Gate.KeepMissedCount);
        Assert.Equal(0, fleet.Gate.Waiting);
        Assert.Null(fleet.Gate.RecheckAt);
        Assert.Equal(["a"], fleet.Granted);
    }

    [Fact]
    public void A_recount_admits_a_waiter_the_gate_lost_count_of()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        fleet.Queue("a", T0);
        fleet.Queue("b", T0.AddSeconds(1), shown: false);
        fleet.End("a");
        fleet.Recheck();
        fleet.Show("b");
        var lost = fleet.Gate;

        fleet.Signal(new GateSignal(GateOp.Recount));

        Assert.Equal(0, lost.Waiting);
        Assert.Equal(["a", "b"], fleet.Granted);
        Assert.Null(fleet.Gate.RecheckAt);
    }

    [Fact]
    public void Raising_the_capacity_admits_that_many_more_waiters()
    {
        var fleet = new Fleet(capacity: 1);
        fleet.Start();
        foreach (var (id, i) in new[] { "a", "b", "c", "d" }.Select((id, i) => (id, i)))
        {
            fleet.Queue(id, T0.AddSeconds(i));
        }

        fleet.Signal(new GateSignal(GateOp.Configure, Capacity: 3));

        Assert.Equal(["a", "b", "c"], fleet.Granted);
        Assert.Equal(1, fleet.Gate.Waiting);
    }

    [Fact]
    public void A_signal_names_its_operation_in_words_on_the_wire_and_one_the_gate_cannot_read_is_skipped()
    {
        var json = JsonSerializer.Serialize(new GateSignal(GateOp.Release, "x"));

        Assert.Contains("\"Op\":\"Release\"", json, StringComparison.Ordinal);
        Assert.Equal(new GateSignal(GateOp.Acquire, "x"), ProvisioningGate.ReadSignal(JsonDocument.Parse("{\"op\":\"Acquire\",\"instanceId\":\"x\"}").RootElement));
        Assert.Null(ProvisioningGate.ReadSignal(JsonDocument.Parse("{\"Op\":\"Explode\"}").RootElement));
        Assert.Null(ProvisioningGate.ReadSignal(JsonDocument.Parse("{\"Op\":7}").RootElement));
        Assert.Null(ProvisioningGate.ReadSignal(JsonDocument.Parse("[1]").RootElement));
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Terminated, 0, 0, 0, "not running (Terminated)")]
    [InlineData(null, 0, 0, 0, "not running (missing)")]
    [InlineData(OrchestrationRuntimeStatus.Failed, 0, 0, 0, "not running (Failed)")]
    [InlineData(OrchestrationRuntimeStatus.Running, 1, 10, 60, "free slot (1 of 2 held)")]
    [InlineData(OrchestrationRuntimeStatus.Running, 1, 1, 60, null)]
    [InlineData(OrchestrationRuntimeStatus.Running, 1, 10, 1, null)]
    [InlineData(OrchestrationRuntimeStatus.Running, 2, 10, 60, null)]
    [InlineData(OrchestrationRuntimeStatus.Pending, 0, 0, 0, null)]
    public void Provisioning_is_degraded_when_the_gate_is_not_running_or_stores_wait_beside_a_free_slot(
        OrchestrationRuntimeStatus? gate, int holding, int gateQuietSeconds, int oldestWaitSeconds, string? reason)
    {
        var now = T0.AddMinutes(10);
        var bound = TimeSpan.FromSeconds(4);
        var shown = new GateStatus(2, holding, 3, now.AddSeconds(-gateQuietSeconds).UtcDateTime);

        var assessed = ProvisioningProgress.Assess(gate, shown, now.AddSeconds(-oldestWaitSeconds), now, bound);

        if (reason is null)
        {
            Assert.Null(assessed);
        }
        else
        {
            Assert.Contains(reason, assessed, StringComparison.Ordinal);
        }
    }

    /// <summary>Looks at the gate one check apart: (status, created at in seconds after T0) last time and now.</summary>
    [Theory]
    [InlineData(null, null, OrchestrationRuntimeStatus.Running, 1, GateAction.Leave)]
    [InlineData(OrchestrationRuntimeStatus.Terminated, 1, OrchestrationRuntimeStatus.Running, 2, GateAction.Leave)]
    [InlineData(OrchestrationRuntimeStatus.Running, 1, OrchestrationRuntimeStatus.Terminated, 1, GateAction.Watch)]
    [InlineData(OrchestrationRuntimeStatus.Terminated, 1, OrchestrationRuntimeStatus.Terminated, 1, GateAction.Start)]
    [InlineData(OrchestrationRuntimeStatus.Failed, 1, OrchestrationRuntimeStatus.Failed, 1, GateAction.Start)]
    [InlineData(OrchestrationRuntimeStatus.Completed, 1, OrchestrationRuntimeStatus.Completed, 1, GateAction.Start)]
    // Missing twice (purged, or never started while storage was down at the worker's start).
    [InlineData(null, null, null, null, GateAction.Start)]
    [InlineData(OrchestrationRuntimeStatus.Running, 1, null, null, GateAction.Watch)]
    // Another gate between the two looks: an operator purged the terminated one, or started one that failed.
    [InlineData(OrchestrationRuntimeStatus.Terminated, 1, null, null, GateAction.Watch)]
    [InlineData(OrchestrationRuntimeStatus.Terminated, 1, OrchestrationRuntimeStatus.Failed, 2, GateAction.Watch)]
    [InlineData(OrchestrationRuntimeStatus.Terminated, 1, OrchestrationRuntimeStatus.Failed, 1, GateAction.Watch)]
    [InlineData(OrchestrationRuntimeStatus.Pending, 1, OrchestrationRuntimeStatus.Pending, 1, GateAction.Leave)]
    public void The_keeper_starts_a_gate_only_after_finding_the_same_gate_down_on_two_looks_in_a_row(
        OrchestrationRuntimeStatus? lastStatus, int? lastCreated, OrchestrationRuntimeStatus? nowStatus, int? nowCreated, GateAction expected)
    {
        static GateLook Look(OrchestrationRuntimeStatus? status, int? created) => new(status, created is { } s ? T0.AddSeconds(s) : null);
        Assert.Equal(expected, GateLook.Decide(Look(lastStatus, lastCreated), Look(nowStatus, nowCreated)));
    }

    [Fact]
    public void The_keeper_watches_a_gate_it_finds_down_at_its_first_look()
    {
        Assert.Equal(GateAction.Watch, GateLook.Decide(null, new GateLook(OrchestrationRuntimeStatus.Terminated, T0)));
        Assert.Equal(GateAction.Watch, GateLook.Decide(null, new GateLook(null, null)));
    }
}

using Urumi.Durable.Testing;
using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Storage;
using Urumi.Durable.Storage.InMemory;
using Urumi.Durable.Tests.Support;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Tests.Engine;

public sealed class ReliabilityUnitTests
{
    [Fact]
    public async Task A_replay_that_disagrees_with_history_fails_the_instance_naming_both_actions()
    {
        var storage = new InMemoryTaskHubStorage();
        await using (var v1 = await TestHost.StartAsync([typeof(VersionOne)], storage))
        {
            var id = await v1.Client.ScheduleNewOrchestrationInstanceAsync("Versioned", null, new StartOrchestrationOptions("versioned"));
            await Eventually.Until(() => v1.Client.GetOrchestrationHistoryAsync(id), h => h.Any(e => e.EventType == EventType.TaskScheduled), TimeSpan.FromSeconds(10), "first activity scheduled");
        }

        await using var v2 = await TestHost.StartAsync([typeof(VersionTwo)], storage);
        await v2.Client.RaiseEventAsync("versioned", "Go", "now");
        var result = await v2.WaitAsync("versioned");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, result.FailureDetails!.ErrorType);
        Assert.Contains("CallActivity 'StepA'", result.FailureDetails.ErrorMessage);
        Assert.Contains("CallActivity 'StepB'", result.FailureDetails.ErrorMessage);
    }

    [Fact]
    public async Task A_duplicate_completion_never_adds_a_second_history_event()
    {
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)]);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        var history = await Eventually.Until(() => host.Client.GetOrchestrationHistoryAsync(id), h => h.Any(e => e.EventType == EventType.ExecutionStarted), TimeSpan.FromSeconds(10), "started");
        var executionId = history.Single(e => e.EventType == EventType.ExecutionStarted).ExecutionId;

        var raised = new HistoryEvent { EventType = EventType.EventRaised, Name = "Go", Input = "\"once\"", Timestamp = DateTime.UtcNow };
        var duplicate = new TaskMessage("same-message-id", id, executionId, raised);
        await host.Storage.SendControlMessageAsync(duplicate, TimeSpan.Zero, default);
        await host.WaitAsync(id);
        await host.Storage.SendControlMessageAsync(duplicate, TimeSpan.Zero, default);
        var stray = new TaskMessage("late-completion", id, executionId, new HistoryEvent { EventType = EventType.TaskCompleted, TaskScheduledId = 0, Timestamp = DateTime.UtcNow });
        await host.Storage.SendControlMessageAsync(stray, TimeSpan.Zero, default);
        await Eventually.Until(() => host.Storage.ReceiveControlMessagesAsync(host.Storage.PartitionOf(id), 32, TimeSpan.Zero, default), m => m.Count == 0, TimeSpan.FromSeconds(10), "duplicates consumed");

        var final = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Single(final, e => e.EventType == EventType.EventRaised);
        Assert.Single(final, e => e.EventType == EventType.ExecutionCompleted);
    }

    [Fact]
    public async Task A_control_message_that_keeps_failing_is_parked_and_its_instance_fails_saying_so()
    {
        var storage = new InMemoryTaskHubStorage();
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage, o => o.MaxDequeueCount = 3);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await host.Client.WaitForInstanceStartAsync(id);
        var failures = 0;
        storage.Fault = (operation, target) => operation == nameof(ITaskHubStorage.AppendHistoryAsync) && target == id && Interlocked.Increment(ref failures) <= 4
            ? new InvalidDataException("history row rejected")
            : null;

        await host.Client.RaiseEventAsync(id, "Go", "x");
        var result = await host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("Urumi.Durable.PoisonMessage", result.FailureDetails!.ErrorType);
        Assert.Contains("parked in the poison store", result.FailureDetails.ErrorMessage);
        Assert.Contains("history row rejected", result.FailureDetails.ErrorMessage);
        var parked = Assert.Single(await host.Client.GetPoisonMessagesAsync());
        Assert.Equal(EventType.EventRaised, parked.Message.Event.EventType);
    }

    [Fact]
    public async Task A_work_item_delivered_too_often_is_parked_and_its_instance_fails_saying_so()
    {
        var storage = new InMemoryTaskHubStorage();
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage, o =>
        {
            o.MaxDequeueCount = 2;
            o.LocalActivityDispatch = false;
            o.WorkItemQueueVisibilityTimeout = TimeSpan.FromMilliseconds(200);
        });
        storage.Fault = (operation, target) => operation == nameof(ITaskHubStorage.SendControlMessageAsync) && target.EndsWith("/TaskCompleted", StringComparison.Ordinal)
            ? new InvalidDataException("completion rejected")
            : null;

        var result = await host.RunAsync("Echo", "x");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Contains("EchoActivity", result.FailureDetails!.ErrorMessage);
        Assert.Contains("poison store", result.FailureDetails.ErrorMessage);
        Assert.Contains(await host.Client.GetPoisonMessagesAsync(), p => p.Message.Event.EventType == EventType.TaskScheduled);
    }

    [Fact]
    public async Task Activities_run_through_the_shared_work_item_queue_when_local_dispatch_is_off()
    {
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], configure: o => o.LocalActivityDispatch = false);

        var result = await host.RunAsync("Sequence");

        Assert.Equal(5, result.ReadOutputAs<List<string>>()!.Count);
        var history = await host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.All(history.Where(e => e.EventType == EventType.TaskScheduled), e => Assert.False(e.DispatchedLocally));
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task A_start_from_a_client_in_the_workers_process_skips_the_control_queue_unless_turned_off(bool localStart, long queueSends)
    {
        var storage = new InMemoryTaskHubStorage();
        var sent = RecordSends(storage);
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage, o => o.LocalStartDelivery = localStart);
        // The partitions' start-up recovery re-sends the start of any Pending instance it finds: let it finish first.
        await host.Worker.RecoveredAsync();
        var before = host.Storage.Metrics.QueueSends;

        var result = await host.RunAsync("Sequence");

        Assert.Equal(5, result.ReadOutputAs<List<string>>()!.Count);
        Assert.True(queueSends == host.Storage.Metrics.QueueSends - before, $"sent: {string.Join(", ", sent)}");
    }

    [Fact]
    public async Task A_held_instance_runs_only_once_started_and_a_discarded_one_never_runs()
    {
        var storage = new InMemoryTaskHubStorage();
        var sends = RecordSends(storage);
        await using (var host = await TestHost.StartAsync([typeof(TestFunctions)], storage))
        {
            await host.Worker.RecoveredAsync();
            var held = await host.Client.HoldNewOrchestrationInstanceAsync("Sequence", null, "held-start", TimeSpan.FromMinutes(1));
            var discarded = await host.Client.HoldNewOrchestrationInstanceAsync("Sequence", null, "held-discard", TimeSpan.FromMinutes(1));
            Assert.Equal(OrchestrationRuntimeStatus.Pending, (await host.Client.GetInstanceAsync("held-start"))!.RuntimeStatus);
            await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => host.Client.HoldNewOrchestrationInstanceAsync("Sequence", null, "held-start", TimeSpan.FromMinutes(1)));

            await held.StartAsync();
            await discarded.DiscardAsync();

            Assert.Equal(5, (await host.WaitAsync("held-start")).ReadOutputAs<List<string>>()!.Count);
            Assert.Null(await host.Client.GetInstanceAsync("held-discard"));
            Assert.Empty(sends);
            await Assert.ThrowsAsync<InvalidOperationException>(() => held.StartAsync());
        }
        // A worker that takes the partitions later finds nothing to start.
        await using var second = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        await second.Worker.RecoveredAsync();
        Assert.Equal(0, storage.ControlMessageCount);
        Assert.Empty((await storage.ReadHistoryAsync("held-discard", default)).Events);
    }

    [Fact]
    public async Task A_held_instance_whose_process_died_before_starting_it_is_started_by_recovery_once_the_hold_passed()
    {
        var storage = new InMemoryTaskHubStorage();
        var hold = TimeSpan.FromSeconds(1);
        await using (var first = await TestHost.StartAsync([typeof(TestFunctions)], storage))
        {
            await first.Worker.RecoveredAsync();
            await first.Client.HoldNewOrchestrationInstanceAsync("Sequence", null, "held-orphan", hold);
        }
        Assert.Equal(0, storage.ControlMessageCount);
        var created = (await storage.GetInstanceAsync("held-orphan", default))!.CreatedTime;

        await using var second = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        var result = await second.WaitAsync("held-orphan");

        Assert.Equal(5, result.ReadOutputAs<List<string>>()!.Count);
        var started = (await second.Client.GetOrchestrationHistoryAsync("held-orphan")).First(e => e.EventType == EventType.OrchestratorStarted).Timestamp;
        // Queue visibility and the in-memory queue's clock are in milliseconds; allow for a timer's early margin.
        Assert.True(started >= created + hold - TimeSpan.FromMilliseconds(100), $"started {started:O}, created {created:O}");
    }

    [Fact]
    public async Task A_held_instance_started_from_a_process_without_its_worker_goes_by_queue_and_a_recovery_copy_of_its_start_is_dropped()
    {
        var storage = new InMemoryTaskHubStorage();
        var client = new DurableTaskClient(storage);
        var held = await client.HoldNewOrchestrationInstanceAsync("Sequence", null, "held-remote", TimeSpan.FromSeconds(1));

        await held.StartAsync();
        Assert.Equal(1, storage.ControlMessageCount);

        // The worker's start-up recovery finds the row still Pending and sends its own, delayed start as well.
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        await host.WaitAsync("held-remote");
        await Eventually.Until(() => Task.FromResult(storage.ControlMessageCount), n => n == 0, TimeSpan.FromSeconds(10), "both starts consumed");

        var history = await host.Client.GetOrchestrationHistoryAsync("held-remote");
        Assert.Single(history, e => e.EventType == EventType.ExecutionStarted);
        Assert.Equal(5, history.Count(e => e.EventType == EventType.TaskCompleted));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_event_to_an_instance_of_this_worker_is_handed_over_in_memory_without_a_queue_message(bool localEvents)
    {
        var storage = new InMemoryTaskHubStorage();
        var sends = RecordSends(storage);
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage, o => o.LocalEventDelivery = localEvents);
        var waiter = await host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await host.Client.WaitForInstanceStartAsync(waiter);

        var pinger = await host.Client.ScheduleNewOrchestrationInstanceAsync("PingThenWait", waiter);
        var result = await host.WaitAsync(waiter, TimeSpan.FromSeconds(10));

        Assert.Equal("got ping", result.ReadOutputAs<string>());
        Assert.Equal(!localEvents, sends.Contains($"{nameof(ITaskHubStorage.SendControlMessageAsync)} {waiter}/EventRaised"));
        // Once the event arrived, the pinger's next append no longer lists it as unsent.
        await host.Client.RaiseEventAsync(pinger, "Unrelated", "x");
        await Eventually.Until(async () => (await storage.ReadHistoryAsync(pinger, default)).Unsent.Count, n => n == 0, TimeSpan.FromSeconds(10), "the unsent list emptied");
        await Eventually.Until(() => Task.FromResult(storage.ControlMessageCount), n => n == 0, TimeSpan.FromSeconds(10), "no control message left");
    }

    [Theory]
    [InlineData("PingThenWait")]
    [InlineData("Pinger")]
    public async Task An_event_handed_over_to_a_receiver_that_never_recorded_it_is_sent_again_from_the_unsent_list_after_a_crash(string sender)
    {
        var storage = new InMemoryTaskHubStorage();
        var waiter = "handover-waiter";
        var appendsRefused = 0;
        string pinger;
        await using (var first = await TestHost.StartAsync([typeof(TestFunctions)], storage))
        {
            await first.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever", null, new StartOrchestrationOptions(waiter));
            await first.Client.WaitForInstanceStartAsync(waiter);
            // The receiver's steps fail from now on (storage unreachable for it), so the hand-over in memory is lost with the process.
            storage.Fault = (operation, target) => operation == nameof(ITaskHubStorage.AppendHistoryAsync) && target == waiter && Interlocked.Increment(ref appendsRefused) > 0
                ? new TimeoutException("storage unreachable")
                : null;
            pinger = await first.Client.ScheduleNewOrchestrationInstanceAsync(sender, waiter);
            await Eventually.Until(() => Task.FromResult(Volatile.Read(ref appendsRefused)), n => n > 0, TimeSpan.FromSeconds(10), "the receiver tried its step");
            Assert.Single((await storage.ReadHistoryAsync(pinger, default)).Unsent, m => m.InstanceId == waiter);
            // A sender that ended (Pinger) shows its end only once what it sent has arrived: until then recovery must find it.
            Assert.False((await storage.GetInstanceAsync(pinger, default))!.RuntimeStatus.IsTerminal());
            // As after kill -9: the process's worker stops without sending anything more.
            storage.Fault = (operation, target) => operation.StartsWith("Send", StringComparison.Ordinal) ? new TimeoutException("process gone") : null;
        }
        storage.Fault = null;
        Assert.Equal(0, storage.ControlMessageCount);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await storage.GetInstanceAsync(waiter, default))!.RuntimeStatus);

        await using var second = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        var result = await second.WaitAsync(waiter);

        Assert.Equal("got ping", result.ReadOutputAs<string>());
        var history = await second.Client.GetOrchestrationHistoryAsync(waiter);
        Assert.Single(history, e => e.EventType == EventType.EventRaised);
        if (sender == "Pinger")
        {
            Assert.Equal("sent", (await second.WaitAsync(pinger)).ReadOutputAs<string>());
        }
    }

    [Fact]
    public async Task An_instance_that_ends_with_an_event_to_an_instance_of_this_worker_hands_it_over_and_then_shows_its_end()
    {
        var storage = new InMemoryTaskHubStorage();
        var sends = RecordSends(storage);
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        var waiter = await host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await host.Client.WaitForInstanceStartAsync(waiter);

        var pinger = await host.RunAsync("Pinger", waiter);
        var result = await host.WaitAsync(waiter, TimeSpan.FromSeconds(10));

        Assert.Equal("sent", pinger.ReadOutputAs<string>());
        Assert.Equal("got ping", result.ReadOutputAs<string>());
        Assert.DoesNotContain($"{nameof(ITaskHubStorage.SendControlMessageAsync)} {waiter}/EventRaised", sends);
    }

    [Fact]
    public async Task A_timer_is_sent_after_its_step_append_and_fires_after_a_crash_that_lost_its_send()
    {
        var storage = new InMemoryTaskHubStorage();
        const string id = "sleeper";
        await using (var first = await TestHost.StartAsync([typeof(TestFunctions)], storage))
        {
            // The timer's send fails, as if the process died right after the append.
            storage.Fault = (operation, target) => operation == nameof(ITaskHubStorage.SendControlMessageAsync) && target == $"{id}/TimerFired" ? new TimeoutException("process gone") : null;
            await first.Client.ScheduleNewOrchestrationInstanceAsync("Sleeper", 1.0, new StartOrchestrationOptions(id));
            await Eventually.Until(async () => (await storage.ReadHistoryAsync(id, default)).Events, e => e.Any(x => x.EventType == EventType.TimerCreated), TimeSpan.FromSeconds(10), "the timer created");
            Assert.Single((await storage.ReadHistoryAsync(id, default)).Unsent, m => m.Event.EventType == EventType.TimerFired);
        }
        storage.Fault = null;
        Assert.Equal(0, storage.ControlMessageCount);

        await using var second = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        var result = await second.WaitAsync(id);

        Assert.Equal("woke", result.ReadOutputAs<string>());
        Assert.Single(await second.Client.GetOrchestrationHistoryAsync(id), e => e.EventType == EventType.TimerFired);
    }

    [Fact]
    public async Task A_duplicate_of_a_message_the_previous_execution_processed_is_dropped_after_ContinueAsNew()
    {
        var storage = new InMemoryTaskHubStorage();
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("TickCounter", 0);
        await Eventually.Until(() => host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus == "0", TimeSpan.FromSeconds(10), "count 0");
        TaskMessage Tick(string messageId) => new(messageId, id, null, new HistoryEvent { EventType = EventType.EventRaised, Name = "Tick", Input = "true" });

        await storage.SendControlMessageAsync(Tick("tick-1"), TimeSpan.Zero, default);
        await Eventually.Until(() => host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus == "1", TimeSpan.FromSeconds(10), "count 1");
        await storage.SendControlMessageAsync(Tick("tick-1"), TimeSpan.Zero, default);
        await storage.SendControlMessageAsync(Tick("tick-2"), TimeSpan.Zero, default);
        await Eventually.Until(() => Task.FromResult(storage.ControlMessageCount), n => n == 0, TimeSpan.FromSeconds(10), "both messages processed");

        var status = await host.Client.GetInstanceAsync(id, true);
        Assert.Equal("2", status!.SerializedCustomStatus);
    }

    [Fact]
    public async Task A_step_whose_row_write_fails_after_its_history_append_writes_the_row_on_retry()
    {
        var storage = new InMemoryTaskHubStorage();
        const string id = "row-write-fails";
        var updates = 0;
        // The second row write of the instance is its last step's (Completed).
        storage.Fault = (operation, target) => operation == nameof(ITaskHubStorage.UpdateInstanceAsync) && target == id && Interlocked.Increment(ref updates) == 2
            ? new InvalidDataException("row rejected once")
            : null;
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], storage);

        var result = await host.RunAsync("Echo", "x", instanceId: id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("x", result.ReadOutputAs<string>());
        Assert.True(updates >= 3, $"row writes: {updates}");
        var history = await host.Client.GetOrchestrationHistoryAsync(id);
        Assert.Single(history, e => e.EventType == EventType.ExecutionCompleted);
        Assert.Single(history, e => e.EventType == EventType.TaskCompleted);
    }

    [Fact]
    public async Task An_activity_result_that_changes_nothing_waits_for_the_next_message_and_both_go_into_one_step()
    {
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], configure: o => o.EmptyStepWindow = TimeSpan.FromSeconds(60));
        // The partitions' start-up recovery re-sends the start of a Pending instance, and that copy would come as the
        // "next message": let it finish first.
        await host.Worker.RecoveredAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("ResultAndEvent");
        await Eventually.Until(() => Task.FromResult(host.Worker.DeferredSteps), n => n >= 1, TimeSpan.FromSeconds(10), "the activity's result held back");
        Assert.DoesNotContain(await host.Client.GetOrchestrationHistoryAsync(id), e => e.EventType == EventType.TaskCompleted);

        await host.Client.RaiseEventAsync(id, "Go", "go");
        var result = await host.WaitAsync(id);

        Assert.EndsWith("/go", result.ReadOutputAs<string>());
        var history = (await host.Client.GetOrchestrationHistoryAsync(id)).ToList();
        var completed = history.FindIndex(e => e.EventType == EventType.TaskCompleted);
        var raised = history.FindIndex(e => e.EventType == EventType.EventRaised);
        Assert.True(completed >= 0 && raised >= 0);
        Assert.DoesNotContain(history[Math.Min(completed, raised)..Math.Max(completed, raised)], e => e.EventType == EventType.OrchestratorStarted);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(0, false)]
    public async Task A_held_back_result_is_recorded_when_its_window_passes_and_never_held_with_no_window(int windowMs, bool held)
    {
        await using var host = await TestHost.StartAsync([typeof(TestFunctions)], configure: o => o.EmptyStepWindow = TimeSpan.FromMilliseconds(windowMs));
        await host.Worker.RecoveredAsync();
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("ResultAndEvent");

        await Eventually.Until(() => host.Client.GetOrchestrationHistoryAsync(id), h => h.Any(e => e.EventType == EventType.TaskCompleted), TimeSpan.FromSeconds(10), "the result recorded");

        Assert.Equal(held, host.Worker.DeferredSteps > 0);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(id))!.RuntimeStatus);
    }

    [Fact]
    public async Task A_new_owner_recovers_local_activities_and_repairs_the_instance_row_from_history()
    {
        var storage = new InMemoryTaskHubStorage();
        var gate = new TaskCompletionSource();
        BlockingActivity.Gate = gate.Task;
        string id;
        await using (var first = await TestHost.StartAsync([typeof(BlockingActivity)], storage))
        {
            id = await first.Client.ScheduleNewOrchestrationInstanceAsync("Blocked");
            await Eventually.Until(() => first.Client.GetOrchestrationHistoryAsync(id), h => h.Any(e => e.EventType == EventType.TaskScheduled && e.DispatchedLocally), TimeSpan.FromSeconds(10), "local activity");
        }
        var row = (await storage.GetInstanceAsync(id, default))!;
        await storage.UpdateInstanceAsync(row with { RuntimeStatus = OrchestrationRuntimeStatus.Pending, ETag = null }, default);
        gate.SetResult();

        await using var second = await TestHost.StartAsync([typeof(BlockingActivity)], storage);
        var result = await second.WaitAsync(id);

        Assert.Equal("done", result.ReadOutputAs<string>());
        var history = await second.Client.GetOrchestrationHistoryAsync(id);
        Assert.Single(history, e => e.EventType == EventType.TaskRedispatched);
        Assert.Single(history, e => e.EventType == EventType.TaskCompleted);
    }

    [Fact]
    public async Task Two_workers_share_the_partitions_and_both_run_orchestrations()
    {
        var storage = new InMemoryTaskHubStorage();
        await using var a = await TestHost.StartAsync([typeof(TestFunctions)], storage);
        await using var b = await TestHost.StartAsync([typeof(TestFunctions)], storage);

        await Eventually.Until(() => Task.FromResult((a.Worker.OwnedPartitions.Count, b.Worker.OwnedPartitions.Count)),
            c => c.Item1 == 2 && c.Item2 == 2, TimeSpan.FromSeconds(30), "2 partitions each");
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => a.RunAsync("Sequence", instanceId: $"shared-{i}")));

        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.Empty(a.Worker.OwnedPartitions.Intersect(b.Worker.OwnedPartitions));
    }

    public static class VersionOne
    {
        [Function("Versioned")]
        public static async Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context)
        {
            await context.CallActivityAsync<string>("StepA", "a");
            return await context.WaitForExternalEvent<string>("Go");
        }

        [Function("StepA")]
        public static string StepA([ActivityTrigger] string x) => x;
    }

    public static class VersionTwo
    {
        [Function("Versioned")]
        public static async Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context)
        {
            await context.CallActivityAsync<string>("StepB", "b");
            return await context.WaitForExternalEvent<string>("Go");
        }

        [Function("StepB")]
        public static string StepB([ActivityTrigger] string x) => x;
    }

    /// <summary>Records every queue send the storage makes, as "operation target".</summary>
    private static System.Collections.Concurrent.ConcurrentQueue<string> RecordSends(InMemoryTaskHubStorage storage)
    {
        var sends = new System.Collections.Concurrent.ConcurrentQueue<string>();
        storage.Fault = (operation, target) =>
        {
            if (operation.StartsWith("Send", StringComparison.Ordinal))
            {
                sends.Enqueue($"{operation} {target}");
            }
            return null;
        };
        return sends;
    }

    public static class BlockingActivity
    {
        public static Task Gate { get; set; } = Task.CompletedTask;

        [Function("Blocked")]
        public static Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context) => context.CallActivityAsync<string>("WaitAtGate", null);

        [Function("WaitAtGate")]
        public static async Task<string> WaitAtGate([ActivityTrigger] object? input, CancellationToken ct)
        {
            await Gate.WaitAsync(ct);
            return "done";
        }
    }
}

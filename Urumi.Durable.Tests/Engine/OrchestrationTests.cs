using Urumi.Durable.Testing;
using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Tests.Support;

namespace Urumi.Durable.Tests.Engine;

public sealed class OrchestrationTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync([typeof(TestFunctions)]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_sequence_of_activities_completes_with_every_result_in_order()
    {
        var result = await _host.RunAsync("Sequence");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!", "Hello Cairo!", "Hello Lima!"], result.ReadOutputAs<List<string>>());
    }

    [Fact]
    public async Task Each_scheduled_activity_has_exactly_one_completion_in_history()
    {
        var result = await _host.RunAsync("Sequence");

        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        var scheduled = history.Where(e => e.EventType == EventType.TaskScheduled).Select(e => e.EventId).ToList();
        var completed = history.Where(e => e.EventType == EventType.TaskCompleted).Select(e => e.TaskScheduledId).ToList();
        Assert.Equal(5, scheduled.Count);
        Assert.Equal(scheduled.Order(), completed.Order());
        Assert.Single(history, e => e.EventType == EventType.ExecutionCompleted);
    }

    [Fact]
    public async Task Fan_out_fan_in_runs_activities_in_parallel_and_aggregates()
    {
        var result = await _host.RunAsync("FanOut", 100);

        Assert.Equal(Enumerable.Range(1, 100).Sum(i => i * i), result.ReadOutputAs<int>());
    }

    [Fact]
    public async Task An_external_event_that_beats_the_timer_approves()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("Approval", 60);
        await _host.Client.WaitForInstanceStartAsync(id);
        await _host.Client.RaiseEventAsync(id, "approval", true);

        var result = await _host.WaitAsync(id);

        Assert.Equal("approved", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_timer_that_beats_the_external_event_times_out()
    {
        var result = await _host.RunAsync("Approval", 0.2);

        Assert.Equal("timed out", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task An_event_raised_before_anyone_waits_is_buffered()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await _host.Client.RaiseEventAsync(id, "Go", "early");

        var result = await _host.WaitAsync(id);

        Assert.Equal("got early", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_timer_fires_no_earlier_than_its_time()
    {
        var started = DateTime.UtcNow;
        var result = await _host.RunAsync("TimerThenDone", 300);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.True(result.ReadOutputAs<DateTime>() >= started.AddMilliseconds(300));
    }

    [Fact]
    public async Task A_retry_policy_retries_a_failing_activity_with_durable_timers()
    {
        var result = await _host.RunAsync("RetryFlaky", instanceId: "retry-" + Guid.NewGuid());

        Assert.Equal("ok after 3", result.ReadOutputAs<string>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.Equal(2, history.Count(e => e.EventType == EventType.TaskFailed));
        Assert.Equal(2, history.Count(e => e.EventType == EventType.TimerCreated));
    }

    [Fact]
    public async Task A_failed_activity_surfaces_as_TaskFailedException_with_details()
    {
        var result = await _host.RunAsync("NoRetryFlaky", instanceId: "noretry-" + Guid.NewGuid());

        Assert.Equal("caught System.InvalidOperationException: attempt 1 fails", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task An_unhandled_activity_failure_fails_the_instance_with_the_inner_failure()
    {
        var result = await _host.RunAsync("Throws");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, result.FailureDetails!.ErrorType);
        Assert.Equal("System.InvalidOperationException", result.FailureDetails.InnerFailure!.ErrorType);
    }

    [Fact]
    public async Task A_sub_orchestration_returns_its_output_to_the_parent()
    {
        var result = await _host.RunAsync("Parent", instanceId: "parent-" + Guid.NewGuid());

        Assert.Equal("Hello Tokyo!,Hello Seattle!,Hello London!,Hello Cairo!,Hello Lima!", result.ReadOutputAs<string>());
        var child = await _host.Client.GetInstanceAsync(result.InstanceId + "-child");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child!.RuntimeStatus);
    }

    [Fact]
    public async Task ContinueAsNew_restarts_with_new_input_and_a_truncated_history()
    {
        var result = await _host.RunAsync("Counter", 0);

        Assert.Equal(5, result.ReadOutputAs<int>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.Single(history, e => e.EventType == EventType.ExecutionStarted);
        Assert.Equal("5", history.Single(e => e.EventType == EventType.ExecutionStarted).Input);
    }

    [Fact]
    public async Task Custom_status_is_visible_while_the_instance_waits()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");

        var waiting = await Eventually.Until(() => _host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus is not null, TimeSpan.FromSeconds(10), "custom status");

        Assert.Equal("waiting", waiting!.ReadCustomStatusAs<string>());
        Assert.Equal(OrchestrationRuntimeStatus.Running, waiting.RuntimeStatus);
    }

    [Fact]
    public async Task Custom_status_set_in_a_later_step_of_a_running_instance_reaches_its_status()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("Ticker");
        await Eventually.Until(() => _host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus == "0", TimeSpan.FromSeconds(10), "custom status 0");

        await _host.Client.RaiseEventAsync(id, "Tick", true);
        await Eventually.Until(() => _host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus == "1", TimeSpan.FromSeconds(10), "custom status 1");
        await _host.Client.RaiseEventAsync(id, "Tick", true);
        var status = await Eventually.Until(() => _host.Client.GetInstanceAsync(id, true), m => m?.SerializedCustomStatus == "2", TimeSpan.FromSeconds(10), "custom status 2");

        Assert.Equal(OrchestrationRuntimeStatus.Running, status!.RuntimeStatus);
    }

    [Fact]
    public async Task Terminate_ends_a_waiting_instance_with_the_reason_as_output()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await _host.Client.WaitForInstanceStartAsync(id);

        await _host.Client.TerminateInstanceAsync(id, "no longer needed");
        var result = await _host.WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, result.RuntimeStatus);
        Assert.Equal("no longer needed", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_suspended_instance_holds_its_events_until_resumed()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await _host.Client.WaitForInstanceStartAsync(id);
        await _host.Client.SuspendInstanceAsync(id, "maintenance");
        await Eventually.Until(() => _host.Client.GetInstanceAsync(id), m => m!.RuntimeStatus == OrchestrationRuntimeStatus.Suspended, TimeSpan.FromSeconds(10), "Suspended");

        await _host.Client.RaiseEventAsync(id, "Go", "while suspended");
        var history = await Eventually.Until(() => _host.Client.GetOrchestrationHistoryAsync(id), h => h.Any(e => e.EventType == EventType.EventRaised), TimeSpan.FromSeconds(10), "event recorded");
        Assert.DoesNotContain(history, e => e.EventType == EventType.ExecutionCompleted);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await _host.Client.GetInstanceAsync(id))!.RuntimeStatus);

        await _host.Client.ResumeInstanceAsync(id);
        var result = await _host.WaitAsync(id);

        Assert.Equal("got while suspended", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task SendEvent_delivers_to_another_instance()
    {
        var waiter = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");
        await _host.RunAsync("Pinger", waiter);

        var result = await _host.WaitAsync(waiter);

        Assert.Equal("got ping", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Starting_an_id_that_is_running_throws_OrchestrationAlreadyExistsException()
    {
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever");

        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            _host.Client.ScheduleNewOrchestrationInstanceAsync("WaitForever", null, new StartOrchestrationOptions(id)));
    }

    [Fact]
    public async Task A_completed_id_can_be_started_again_and_restart_reuses_the_input()
    {
        var first = await _host.RunAsync("Echo", "one", instanceId: "echo-" + Guid.NewGuid());
        await _host.Client.RestartAsync(first.InstanceId);
        var restarted = await Eventually.Until(() => _host.Client.GetInstanceAsync(first.InstanceId, true),
            m => m!.ExecutionId != first.ExecutionId && m.IsCompleted, TimeSpan.FromSeconds(10), "restarted execution");

        Assert.Equal("one", restarted!.ReadOutputAs<string>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(first.InstanceId);
        Assert.Single(history, e => e.EventType == EventType.ExecutionStarted);
    }

    [Fact]
    public async Task A_scheduled_start_time_delays_the_start()
    {
        var startAt = DateTimeOffset.UtcNow.AddMilliseconds(400);
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("Echo", "later", new StartOrchestrationOptions(StartAt: startAt));

        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await _host.Client.GetInstanceAsync(id))!.RuntimeStatus);
        var result = await _host.WaitAsync(id);

        Assert.True(result.LastUpdatedAt >= startAt);
    }

    [Fact]
    public async Task NewGuid_is_deterministic_across_replays_and_distinct_within_one()
    {
        var result = await _host.RunAsync("GuidTwice");

        Assert.True(result.ReadOutputAs<bool>());
    }

    [Fact]
    public async Task Query_filters_by_status_and_prefix_and_pages_with_a_continuation_token()
    {
        var prefix = "q-" + Guid.NewGuid().ToString("N")[..6] + "-";
        for (var i = 0; i < 5; i++)
        {
            await _host.RunAsync("Echo", "x", instanceId: prefix + i);
        }

        var page1 = await _host.Client.GetInstancesPageAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 3, Statuses = [OrchestrationRuntimeStatus.Completed] });
        var page2 = await _host.Client.GetInstancesPageAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 3, ContinuationToken = page1.ContinuationToken });
        var all = await _host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 2 }).ToListAsync();

        Assert.Equal(3, page1.Values.Count);
        Assert.NotNull(page1.ContinuationToken);
        Assert.Equal(2, page2.Values.Count);
        Assert.Null(page2.ContinuationToken);
        Assert.Equal(5, all.Count);
    }

    [Fact]
    public async Task Purge_removes_the_instance_and_its_history()
    {
        var result = await _host.RunAsync("Echo", "x");

        var purged = await _host.Client.PurgeInstanceAsync(result.InstanceId);

        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await _host.Client.GetInstanceAsync(result.InstanceId));
        Assert.Empty(await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId));
    }

    [Fact]
    public async Task The_worker_announces_each_instance_it_completes_in_process()
    {
        var id = "announce-" + Guid.NewGuid().ToString("N");
        var seen = new TaskCompletionSource<OrchestrationRuntimeStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Worker.InstanceCompleted += (completed, status) =>
        {
            if (completed == id)
            {
                seen.TrySetResult(status);
            }
        };

        await _host.Client.ScheduleNewOrchestrationInstanceAsync("Throws", null, new StartOrchestrationOptions(id));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, await seen.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }
}

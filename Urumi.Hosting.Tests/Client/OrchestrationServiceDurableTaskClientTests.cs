using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Testing;
using Urumi.Hosting.Client;

namespace Urumi.Hosting.Tests.Client;

/// <summary>Every client method against the real engine: AzureStorage on Azurite with a TaskHubWorker.</summary>
public sealed class OrchestrationServiceDurableTaskClientTests(DurableTaskEngine engine)
    : IClassFixture<DurableTaskEngine>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private OrchestrationServiceDurableTaskClient Client => engine.Client;

    [Fact]
    public async Task I_can_schedule_with_an_id_and_read_input_output_and_custom_status_with_the_same_converter()
    {
        var id = NewId("greet");

        var returned = await Client.ScheduleNewOrchestrationInstanceAsync(
            TestOrchestrations.Greeting, "Tokyo", new StartOrchestrationOptions(id));
        var done = await WaitAsync(id);

        Assert.Equal(id, returned);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(TestOrchestrations.Greeting, done.Name);
        Assert.Equal("Tokyo", done.ReadInputAs<string>());
        Assert.Equal("Hello Tokyo!", done.ReadOutputAs<string>());
        Assert.Equal("greeted", done.ReadCustomStatusAs<string>());
        Assert.True(done.CreatedAt <= done.LastUpdatedAt);
        Assert.Null(done.FailureDetails);
    }

    [Fact]
    public async Task Getting_an_instance_without_inputs_and_outputs_leaves_them_out_and_an_unknown_id_is_null()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Greeting, "Lima");
        await WaitAsync(id);

        var bare = await Client.GetInstanceAsync(id);
        var full = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        var missing = await Client.GetInstanceAsync(NewId("missing"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, bare!.RuntimeStatus);
        Assert.Null(bare.SerializedInput);
        Assert.Null(bare.SerializedOutput);
        Assert.Throws<InvalidOperationException>(() => bare.ReadOutputAs<string>());
        Assert.Equal("Hello Lima!", full!.ReadOutputAs<string>());
        Assert.Null(missing);
    }

    [Fact]
    public async Task A_raised_event_completes_a_waiting_instance_and_records_round_trip()
    {
        var id = NewId("approve");
        await ScheduleAsync(TestOrchestrations.Approval, new Order(id, 3), id);

        var started = await Client.WaitForInstanceStartAsync(id, getInputsAndOutputs: true);
        await EventuallyAsync(id, m => m.SerializedCustomStatus?.Contains("waiting") == true);
        await Client.RaiseEventAsync(id, "Approval", new Decision(true, "ana"));
        var done = await WaitAsync(id);

        Assert.NotEqual(OrchestrationRuntimeStatus.Pending, started.RuntimeStatus);
        Assert.Equal(new Order(id, 3), started.ReadInputAs<Order>());
        Assert.Equal(new Outcome(id, true, "ana"), done.ReadOutputAs<Outcome>());
        Assert.Contains("decided", done.SerializedCustomStatus);
    }

    [Fact]
    public async Task Scheduling_a_live_instance_id_again_is_refused_and_a_finished_one_can_be_reused()
    {
        var id = NewId("dedupe");
        await ScheduleAsync(TestOrchestrations.Approval, new Order(id, 1), id);
        await Client.WaitForInstanceStartAsync(id);

        var refused = await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            ScheduleAsync(TestOrchestrations.Approval, new Order(id, 2), id));
        var stillFirst = await Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        await Client.TerminateInstanceAsync(id, "done");
        await WaitAsync(id);
        await ScheduleAsync(TestOrchestrations.Approval, new Order(id, 3), id);
        var reused = await Client.WaitForInstanceStartAsync(id, getInputsAndOutputs: true);

        Assert.Contains(id, refused.Message);
        Assert.Equal(1, stillFirst!.ReadInputAs<Order>()!.Quantity);
        Assert.Equal(OrchestrationRuntimeStatus.Running, reused.RuntimeStatus);
        Assert.Equal(3, reused.ReadInputAs<Order>()!.Quantity);
        await Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task Dedupe_statuses_that_allow_reusing_a_running_id_replace_the_running_instance()
    {
        var id = NewId("replace");
        await ScheduleAsync(TestOrchestrations.Approval, new Order(id, 1), id);
        await Client.WaitForInstanceStartAsync(id);

        await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Approval, new Order(id, 2),
            new StartOrchestrationOptions(id).WithDedupeStatuses(OrchestrationRuntimeStatus.Completed));
        var replacement = await Client.WaitForInstanceStartAsync(id, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Running, replacement.RuntimeStatus);
        Assert.Equal(2, replacement.ReadInputAs<Order>()!.Quantity);
        await Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task A_start_time_keeps_the_instance_pending_until_then()
    {
        var startAt = DateTimeOffset.UtcNow.AddSeconds(3);
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(
            TestOrchestrations.Greeting, "Cairo", new StartOrchestrationOptions(StartAt: startAt));

        var pending = await Client.GetInstanceAsync(id);
        var started = await Client.WaitForInstanceStartAsync(id);
        var history = await Client.GetOrchestrationHistoryAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Pending, pending!.RuntimeStatus);
        Assert.NotEqual(OrchestrationRuntimeStatus.Pending, started.RuntimeStatus);
        // Azure Storage queues delay a message in whole seconds, so the start may come up to a second early.
        var firstRun = history.OfType<OrchestratorStartedEvent>().First().Timestamp;
        Assert.True(firstRun >= startAt.UtcDateTime.AddSeconds(-1), $"started at {firstRun:O}, asked for {startAt:O}");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await WaitAsync(id)).RuntimeStatus);
    }

    [Fact]
    public async Task A_version_given_at_start_is_the_instances_version()
    {
        // Started an hour from now, so it stays Pending: the test orchestrations are registered without a version.
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(
            TestOrchestrations.Greeting, "Lima", new StartOrchestrationOptions(StartAt: DateTimeOffset.UtcNow.AddHours(1)) { Version = "2" });

        var state = await engine.Service.GetOrchestrationStateAsync(id, executionId: null);
        await Client.TerminateInstanceAsync(id);

        Assert.Equal("2", state?.Version);
    }

    [Fact]
    public async Task A_failed_orchestration_reports_its_failure_details()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Failing, new Order("o-7", -1));

        var failed = await WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.NotNull(failed.FailureDetails);
        Assert.Equal(typeof(InvalidOperationException).FullName, failed.FailureDetails!.ErrorType);
        Assert.Equal("Order o-7 has an invalid quantity -1.", failed.FailureDetails.ErrorMessage);
        Assert.True(failed.FailureDetails.IsCausedBy<InvalidOperationException>());
        Assert.Contains(nameof(TestOrchestrations), failed.FailureDetails.StackTrace);
        var listed = await ToListAsync(Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: id)));
        Assert.Equal(typeof(InvalidOperationException).FullName, Assert.Single(listed).FailureDetails!.ErrorType);
    }

    [Fact]
    public async Task Terminating_with_an_output_ends_the_instance_Terminated_with_that_output()
    {
        var id = await StartApprovalAsync("terminate");

        await Client.TerminateInstanceAsync(id, new Decision(false, "ops"));
        var terminated = await WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal(new Decision(false, "ops"), terminated.ReadOutputAs<Decision>());
    }

    [Fact]
    public async Task A_recursive_terminate_also_terminates_running_sub_orchestrations_and_a_plain_one_does_not()
    {
        var (recursiveParent, recursiveChild) = await StartParentAsync("rec");
        var (plainParent, plainChild) = await StartParentAsync("plain");

        await Client.TerminateInstanceAsync(recursiveParent, new TerminateInstanceOptions("stop", Recursive: true));
        await Client.TerminateInstanceAsync(plainParent, new TerminateInstanceOptions("stop"));

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await WaitAsync(recursiveParent)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await WaitAsync(recursiveChild)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await WaitAsync(plainParent)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await Client.GetInstanceAsync(plainChild))!.RuntimeStatus);
        await Client.TerminateInstanceAsync(plainChild);
    }

    [Fact]
    public async Task A_suspended_instance_holds_events_until_it_is_resumed()
    {
        var id = await StartApprovalAsync("suspend");

        await Client.SuspendInstanceAsync(id, "maintenance");
        await EventuallyAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Suspended);
        await Client.RaiseEventAsync(id, "Approval", new Decision(true, "bo"));
        await Client.ResumeInstanceAsync(id, "back");
        var done = await WaitAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(new Outcome(id, true, "bo"), done.ReadOutputAs<Outcome>());
        var history = await Client.GetOrchestrationHistoryAsync(id);
        var suspendedAt = history.ToList().FindIndex(e => e is ExecutionSuspendedEvent);
        var resumedAt = history.ToList().FindIndex(e => e is ExecutionResumedEvent);
        Assert.True(suspendedAt >= 0 && resumedAt > suspendedAt, "the history shows a suspension, then a resumption");
        Assert.Equal("maintenance", ((ExecutionSuspendedEvent)history[suspendedAt]).Reason);
    }

    [Fact]
    public async Task Waiting_for_completion_stops_when_cancelled()
    {
        var id = await StartApprovalAsync("cancel");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Client.WaitForInstanceCompletionAsync(id, cancellation: cancellation.Token));

        Assert.Equal(OrchestrationRuntimeStatus.Running, (await Client.GetInstanceAsync(id))!.RuntimeStatus);
        await Client.TerminateInstanceAsync(id);
    }

    [Fact]
    public async Task Purging_a_running_instance_is_refused_and_a_terminal_one_is_purged()
    {
        var id = await StartApprovalAsync("purge");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Client.PurgeInstanceAsync(id));
        var stillThere = await Client.GetInstanceAsync(id);
        await Client.TerminateInstanceAsync(id);
        await WaitAsync(id);
        var purged = await Client.PurgeInstanceAsync(id);
        var again = await Client.PurgeInstanceAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Running, stillThere!.RuntimeStatus);
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await Client.GetInstanceAsync(id));
        Assert.Equal(0, again.PurgedInstanceCount);
    }

    [Fact]
    public async Task A_recursive_purge_removes_the_finished_sub_orchestrations_too()
    {
        var (parent, child) = await StartParentAsync("rpurge");
        await Client.RaiseEventAsync(child, "Approval", new Decision(true, "cy"));
        var done = await WaitAsync(parent);

        var purged = await Client.PurgeInstanceAsync(parent, new PurgeInstanceOptions(Recursive: true));

        Assert.Equal($"{child}:True", done.ReadOutputAs<string>());
        Assert.Equal(2, purged.PurgedInstanceCount);
        Assert.Null(await Client.GetInstanceAsync(parent));
        Assert.Null(await Client.GetInstanceAsync(child));
    }

    [Fact]
    public async Task Purging_by_filter_without_statuses_removes_only_terminal_instances()
    {
        var since = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var completed = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Greeting, "A");
        var failed = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Failing, new Order("x", 0));
        var running = await StartApprovalAsync("purgeall");
        await WaitAsync(completed);
        await WaitAsync(failed);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            Client.PurgeAllInstancesAsync(
                new PurgeInstancesFilter(since, Statuses: [OrchestrationRuntimeStatus.Running])));
        var result = await Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(since));

        Assert.Contains("Running", refused.Message);
        Assert.Equal(2, result.PurgedInstanceCount);
        Assert.Null(await Client.GetInstanceAsync(completed));
        Assert.Null(await Client.GetInstanceAsync(failed));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await Client.GetInstanceAsync(running))!.RuntimeStatus);
        await Client.TerminateInstanceAsync(running);
    }

    [Fact]
    public async Task Querying_pages_through_a_prefix_with_continuation_tokens_and_filters()
    {
        var prefix = NewId("page") + "-";
        var ids = Enumerable.Range(0, 5).Select(i => prefix + i).ToList();
        foreach (var id in ids)
        {
            await ScheduleAsync(TestOrchestrations.Greeting, id, id);
        }
        foreach (var id in ids)
        {
            await WaitAsync(id);
        }
        var query = new OrchestrationQuery(InstanceIdPrefix: prefix, PageSize: 2);

        var pages = await ToListAsync(Client.GetAllInstancesAsync(query).AsPages());
        var resumed = await ToListAsync(Client.GetAllInstancesAsync(query).AsPages(pages[0].ContinuationToken));
        var all = await ToListAsync(Client.GetAllInstancesAsync(query with { FetchInputsAndOutputs = true }));
        var running = await ToListAsync(Client.GetAllInstancesAsync(
            query with { Statuses = [OrchestrationRuntimeStatus.Running] }));
        var later = await ToListAsync(Client.GetAllInstancesAsync(
            query with { CreatedFrom = DateTimeOffset.UtcNow.AddMinutes(1) }));
        var completed = await ToListAsync(Client.GetAllInstancesAsync(query with
        {
            Statuses = [OrchestrationRuntimeStatus.Completed],
            CreatedFrom = DateTimeOffset.UtcNow.AddMinutes(-5),
            CreatedTo = DateTimeOffset.UtcNow.AddMinutes(1),
        }));

        Assert.True(pages.Count >= 3, $"5 instances in pages of 2 take at least 3 pages, not {pages.Count}");
        Assert.All(pages, p => Assert.True(p.Values.Count <= 2));
        Assert.All(pages.SkipLast(1), p => Assert.NotNull(p.ContinuationToken));
        Assert.Null(pages[^1].ContinuationToken);
        Assert.Equal(ids, pages.SelectMany(p => p.Values).Select(m => m.InstanceId).Order());
        Assert.Equal(
            ids.Except(pages[0].Values.Select(m => m.InstanceId)),
            resumed.SelectMany(p => p.Values).Select(m => m.InstanceId).Order());
        Assert.Equal(
            ids.Select(id => $"Hello {id}!"),
            all.OrderBy(m => m.InstanceId).Select(m => m.ReadOutputAs<string>()));
        Assert.All(pages.SelectMany(p => p.Values), m => Assert.Null(m.SerializedOutput));
        Assert.Empty(running);
        Assert.Empty(later);
        Assert.Equal(5, completed.Count);
    }

    [Fact]
    public async Task History_reads_back_as_typed_events()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Greeting, "Oslo");
        await WaitAsync(id);

        var history = await Client.GetOrchestrationHistoryAsync(id);

        var started = Assert.Single(history.OfType<ExecutionStartedEvent>());
        Assert.Equal(TestOrchestrations.Greeting, started.Name);
        Assert.Equal("\"Oslo\"", started.Input);
        var scheduled = Assert.Single(history.OfType<TaskScheduledEvent>());
        Assert.Equal(TestOrchestrations.SayHello, scheduled.Name);
        var completedTask = Assert.Single(history.OfType<TaskCompletedEvent>());
        Assert.Equal(scheduled.EventId, completedTask.TaskScheduledId);
        var completed = Assert.Single(history.OfType<ExecutionCompletedEvent>());
        Assert.Equal(global::DurableTask.Core.OrchestrationStatus.Completed, completed.OrchestrationStatus);
        Assert.Equal("\"Hello Oslo!\"", completed.Result);
    }

    [Fact]
    public async Task Restarting_runs_the_same_orchestration_and_input_again()
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Greeting, "Rome");
        await WaitAsync(id);
        var running = await StartApprovalAsync("restart");

        var newId = await Client.RestartAsync(id, restartWithNewInstanceId: true);
        var sameId = await Client.RestartAsync(id);
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() => Client.RestartAsync(running));

        Assert.NotEqual(id, newId);
        Assert.Equal(id, sameId);
        Assert.Equal("Hello Rome!", (await WaitAsync(newId)).ReadOutputAs<string>());
        Assert.Equal("Hello Rome!", (await WaitAsync(id)).ReadOutputAs<string>());
        await Client.TerminateInstanceAsync(running);
    }

    [Fact]
    public async Task The_client_resolves_from_DI_over_the_process_orchestration_service()
    {
        await using var fromService = new ServiceCollection().AddLogging()
            .AddSingleton<IOrchestrationService>(engine.Service)
            .AddDurableTaskClient(b => b.UseOrchestrationService())
            .BuildServiceProvider();
        await using var fromFactory = new ServiceCollection().AddLogging()
            .AddDurableTaskClient(b => b.UseOrchestrationService(_ => engine.Service))
            .BuildServiceProvider();

        var clients = new[] { fromService, fromFactory }.Select(s => s.GetRequiredService<DurableTaskClient>());
        foreach (var client in clients)
        {
            var id = await client.ScheduleNewOrchestrationInstanceAsync(TestOrchestrations.Greeting, "DI");
            using var timeout = new CancellationTokenSource(Timeout);
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

            Assert.IsType<OrchestrationServiceDurableTaskClient>(client);
            Assert.Equal("Hello DI!", done.ReadOutputAs<string>());
        }
    }

    [Fact]
    public async Task Without_an_orchestration_service_the_client_does_not_resolve_and_says_why()
    {
        await using var services = new ServiceCollection().AddLogging()
            .AddDurableTaskClient(b => b.UseOrchestrationService())
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<DurableTaskClient>());

        Assert.Contains("UseOrchestrationService", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a#b")]
    [InlineData("tab\there")]
    public async Task Invalid_instance_ids_are_refused(string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            ScheduleAsync(TestOrchestrations.Greeting, "x", id));
    }

    private Task<string> ScheduleAsync(string name, object? input, string? id) =>
        Client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(id));

    private static string NewId(string what) => $"{what}-{Guid.NewGuid():N}";

    private async Task<string> StartApprovalAsync(string what)
    {
        var id = NewId(what);
        await ScheduleAsync(TestOrchestrations.Approval, new Order(id, 1), id);
        await EventuallyAsync(id, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        return id;
    }

    private async Task<(string Parent, string Child)> StartParentAsync(string what)
    {
        var parent = NewId(what);
        var child = parent + "-child";
        await ScheduleAsync(TestOrchestrations.Parent, child, parent);
        await EventuallyAsync(child, m => m.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        return (parent, child);
    }

    private async Task<OrchestrationMetadata> WaitAsync(string id)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        return await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }

    private async Task EventuallyAsync(string id, Func<OrchestrationMetadata, bool> condition)
    {
        await Eventually.Until(
            async () => await Client.GetInstanceAsync(id, getInputsAndOutputs: true),
            m => m is not null && condition(m), Timeout, $"instance {id}");
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }
        return list;
    }
}

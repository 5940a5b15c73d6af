using DurableTask.Core;
using Urumi.Testing;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>Urumi-style [Function] orchestrations and activities on the real engine (DurableTask.AzureStorage on Azurite).</summary>
public sealed class DurableWorkerTests(WorkerFixture fixture) : IClassFixture<WorkerFixture>
{
    private DurableWorkerHost Worker => fixture.Worker;

    [Fact]
    public async Task A_sequence_of_activities_returns_each_result_in_order()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Sequence), new GreetInput(["Tokyo", "Seattle", "London"], "Hello"));

        var output = await Worker.OutputAsync<List<string>>(instance);

        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], output);
    }

    [Fact]
    public async Task An_orchestrator_can_take_its_input_as_a_parameter()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.SequenceWithInputParameter), new GreetInput(["Oslo"], "Hei"));

        var output = await Worker.OutputAsync<string>(instance);

        Assert.Equal("Hei Oslo!", output);
    }

    [Fact]
    public async Task An_orchestrator_can_be_an_instance_method_and_an_activity_can_return_a_ValueTask()
    {
        var instance = await Worker.StartAsync(nameof(InstanceOrchestration.DoubledByInstance), 21);

        var output = await Worker.OutputAsync<int>(instance);

        Assert.Equal(42, output);
    }

    [Fact]
    public async Task Fan_out_fan_in_sums_the_results_of_parallel_activities()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.FanOutFanIn), 10);

        var output = await Worker.OutputAsync<long>(instance);

        Assert.Equal(385, output);
    }

    [Fact]
    public async Task A_sub_orchestration_returns_its_result_and_knows_its_parent()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Parent), 21);

        var output = await Worker.OutputAsync<ChildResult>(instance);

        Assert.Equal(new ChildResult(42, instance.InstanceId, nameof(TestOrchestrations.Parent)), output);
    }

    [Fact]
    public async Task An_activity_that_throws_fails_the_orchestration_with_its_exception_type_and_message()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.CallsFailingActivity), "the cluster said no");

        var state = await Worker.CompletionAsync(instance);

        var failure = await Worker.FailureAsync(instance);

        Assert.Equal(OrchestrationStatus.Failed, state.OrchestrationStatus);
        Assert.Equal(typeof(InvalidOperationException).FullName, failure?.InnerFailure?.ErrorType);
        Assert.Equal("the cluster said no", failure?.InnerFailure?.ErrorMessage);
        Assert.Contains("the cluster said no", failure?.ErrorMessage);
        Assert.Contains("the cluster said no", state.Output);
    }

    [Fact]
    public async Task An_orchestrator_catches_an_activity_failure_with_its_details()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.CatchesFailure), "helm timed out");

        var output = await Worker.OutputAsync<FailureSeen>(instance);

        Assert.Equal(new FailureSeen(typeof(InvalidOperationException).FullName, "helm timed out"), output);
    }

    [Fact]
    public async Task Calling_an_activity_no_function_declares_fails_the_orchestration_naming_it()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.CallsMissingActivity), "NoSuchActivity");

        var state = await Worker.CompletionAsync(instance);
        var failure = await Worker.FailureAsync(instance);

        Assert.Equal(OrchestrationStatus.Failed, state.OrchestrationStatus);
        Assert.Equal("No activity named 'NoSuchActivity' is registered with this worker.", failure?.InnerFailure?.ErrorMessage);
    }

    [Fact]
    public async Task An_orchestrator_that_throws_fails_with_its_exception_type_and_message()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Throws));

        var state = await Worker.CompletionAsync(instance);
        var failure = await Worker.FailureAsync(instance);

        Assert.Equal(OrchestrationStatus.Failed, state.OrchestrationStatus);
        Assert.Equal(typeof(InvalidOperationException).FullName, failure?.ErrorType);
        Assert.Equal("the orchestrator itself failed", failure?.ErrorMessage);
    }

    [Fact]
    public async Task A_retry_policy_runs_a_failing_activity_again_until_it_succeeds()
    {
        var key = Guid.NewGuid().ToString();
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Retries), new RetryInput(key, MaxAttempts: 3, SucceedOnAttempt: 3));

        var output = await Worker.OutputAsync<int>(instance);

        Assert.Equal(3, output);
    }

    [Fact]
    public async Task A_retry_policy_gives_up_after_its_last_attempt()
    {
        var key = Guid.NewGuid().ToString();
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Retries), new RetryInput(key, MaxAttempts: 2, SucceedOnAttempt: 5));

        var state = await Worker.CompletionAsync(instance);
        var failure = await Worker.FailureAsync(instance);

        Assert.Equal(OrchestrationStatus.Failed, state.OrchestrationStatus);
        Assert.Equal(typeof(TimeoutException).FullName, failure?.InnerFailure?.ErrorType);
        Assert.Equal($"attempt 2 of {nameof(TestActivities.FailUntil)}", failure?.InnerFailure?.ErrorMessage);
        Assert.Equal(2, Worker.Probes.Attempts(key));
    }

    [Fact]
    public async Task A_durable_timer_fires_at_its_time()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Timer));

        var fireAt = await Worker.OutputAsync<DateTime>(instance);
        var state = await Worker.Client.GetOrchestrationStateAsync(instance);

        // Azure Queues delay a message by whole seconds, so DurableTask.AzureStorage fires a timer up to 1 s early.
        Assert.True(state.CompletedTime >= fireAt.AddSeconds(-1), $"completed at {state.CompletedTime:O}, before the timer's {fireAt:O}");
        Assert.True(state.CompletedTime - state.CreatedTime >= TimeSpan.FromSeconds(2), $"the 3 s timer ended after {state.CompletedTime - state.CreatedTime}");
    }

    [Fact]
    public async Task An_external_event_is_received_and_the_custom_status_shows_the_wait()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Approval));
        await Eventually.Until(
            () => Worker.Client.GetOrchestrationStateAsync(instance), s => s?.Status?.Contains("waiting") == true, TimeSpan.FromSeconds(30), "the waiting status");

        await Worker.Client.RaiseEventAsync(instance, "Approval", "approved");
        var output = await Worker.OutputAsync<string>(instance);
        var state = await Worker.Client.GetOrchestrationStateAsync(instance);

        Assert.Equal("approved", output);
        Assert.Equal("""{"State":"answered"}""", state.Status);
    }

    [Fact]
    public async Task An_external_event_that_does_not_come_in_time_times_out()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Approval), TimeSpan.FromMilliseconds(500));

        var output = await Worker.OutputAsync<string>(instance);

        Assert.Equal("timed out", output);
    }

    [Fact]
    public async Task ContinueAsNew_restarts_the_orchestration_with_its_new_input()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.Counter), 0);

        var output = await Worker.OutputAsync<int>(instance);

        Assert.Equal(3, output);
    }

    [Fact]
    public async Task Each_activity_invocation_gets_its_own_DI_scope_which_is_disposed_after_it()
    {
        var instance = await Worker.StartAsync(nameof(TestOrchestrations.ScopesPerActivity));

        var seen = await Worker.OutputAsync<ScopeSeen[]>(instance);

        Assert.Equal(3, seen.Select(s => s.ProbeId).Distinct().Count());
        Assert.All(seen, s => Assert.Contains(s.ProbeId, Worker.Probes.Disposed));
        Assert.All(seen, s => Assert.True(s.ContextHasSameScope, "FunctionContext.InstanceServices is the activity's scope"));
        Assert.All(seen, s => Assert.Equal(nameof(TestActivities.SeeScope), s.FunctionName));
        Assert.All(seen, s => Assert.True(s.Cancellable, "the activity's token is the worker's stopping token"));
    }
}

using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>Orchestrators written as Urumi writes them: [Function] static methods on a workflow class.</summary>
public static class TestOrchestrations
{
    [Function(nameof(Sequence))]
    public static async Task<List<string>> Sequence([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<GreetInput>()!;
        var greetings = new List<string>();
        foreach (var city in input.Cities)
        {
            greetings.Add(await context.CallActivityAsync<string>(nameof(TestActivities.SayHello), new GreetInput([city], input.Greeting)));
        }
        return greetings;
    }

    [Function(nameof(SequenceWithInputParameter))]
    public static async Task<string> SequenceWithInputParameter([OrchestrationTrigger] TaskOrchestrationContext context, GreetInput input) =>
        await context.CallActivityAsync<string>(nameof(TestActivities.SayHello), input);

    [Function(nameof(FanOutFanIn))]
    public static async Task<long> FanOutFanIn([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var count = context.GetInput<int>();
        var squares = await Task.WhenAll(Enumerable.Range(1, count).Select(x => context.CallActivityAsync<long>(nameof(TestActivities.Square), x)));
        return squares.Sum();
    }

    [Function(nameof(Parent))]
    public static async Task<ChildResult> Parent([OrchestrationTrigger] TaskOrchestrationContext context) =>
        await context.CallSubOrchestratorAsync<ChildResult>(
            nameof(Child), context.GetInput<int>(), new SubOrchestrationOptions { InstanceId = context.InstanceId + ".child" });

    [Function(nameof(Child))]
    public static ChildResult Child([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new(context.GetInput<int>() * 2, context.Parent?.InstanceId, context.Parent?.Name.Name);

    [Function(nameof(CallsFailingActivity))]
    public static Task<string> CallsFailingActivity([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>(nameof(TestActivities.Fail), context.GetInput<string>());

    [Function(nameof(CatchesFailure))]
    public static async Task<FailureSeen> CatchesFailure([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        try
        {
            await context.CallActivityAsync<string>(nameof(TestActivities.Fail), context.GetInput<string>());
            return new FailureSeen(null, null);
        }
        catch (TaskFailedException e)
        {
            return new FailureSeen(e.FailureDetails.ErrorType, e.FailureDetails.ErrorMessage);
        }
    }

    [Function(nameof(Retries))]
    public static Task<int> Retries([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<RetryInput>()!;
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(input.MaxAttempts, TimeSpan.FromMilliseconds(100)));
        return context.CallActivityAsync<int>(nameof(TestActivities.FailUntil), input, retry);
    }

    [Function(nameof(Timer))]
    public static async Task<DateTime> Timer([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var fireAt = context.CurrentUtcDateTime.AddSeconds(3);
        await context.CreateTimer(fireAt, CancellationToken.None);
        return fireAt;
    }

    [Function(nameof(Approval))]
    public static async Task<string> Approval([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var timeout = context.GetInput<TimeSpan?>();
        context.SetCustomStatus(new ApprovalStatus("waiting"));
        try
        {
            var answer = timeout is { } t
                ? await context.WaitForExternalEvent<string>("Approval", t)
                : await context.WaitForExternalEvent<string>("Approval");
            context.SetCustomStatus(new ApprovalStatus("answered"));
            return answer;
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }

    [Function(nameof(Counter))]
    public static int Counter([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var count = context.GetInput<int>();
        if (count < 3)
        {
            context.ContinueAsNew(count + 1);
        }
        return count;
    }

    [Function(nameof(ScopesPerActivity))]
    public static async Task<ScopeSeen[]> ScopesPerActivity([OrchestrationTrigger] TaskOrchestrationContext context) =>
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => context.CallActivityAsync<ScopeSeen>(nameof(TestActivities.SeeScope))));

    [Function(nameof(Interruptible))]
    public static Task<int> Interruptible([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<int>(nameof(TestActivities.RunUntilStopped), context.GetInput<string>());

    [Function(nameof(CallsMissingActivity))]
    public static Task<string> CallsMissingActivity([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>(context.GetInput<string>()!);

    [Function(nameof(Throws))]
    public static Task Throws([OrchestrationTrigger] TaskOrchestrationContext context) =>
        throw new InvalidOperationException("the orchestrator itself failed");
}

/// <summary>An orchestrator that is an instance method: its class is created with the app's services.</summary>
public sealed class InstanceOrchestration(ProbeLog log)
{
    [Function(nameof(DoubledByInstance))]
    public async Task<int> DoubledByInstance([OrchestrationTrigger] TaskOrchestrationContext context, int input, FunctionContext functionContext)
    {
        // The SDK's analyzer compares the result type with ValueTask<int> itself, not the int it carries.
#pragma warning disable DURABLE2002
        var doubled = await context.CallActivityAsync<int>(nameof(TestActivities.Double), input);
#pragma warning restore DURABLE2002
        return log.Disposed is not null && functionContext.FunctionDefinition.Name == nameof(DoubledByInstance) ? doubled : -1;
    }
}

/// <summary>Activities written as Urumi writes them: instance methods of a class with constructor injection.</summary>
public sealed class TestActivities(ScopedProbe probe, ProbeLog log)
{
    [Function(nameof(SayHello))]
    public static string SayHello([ActivityTrigger] GreetInput input) => $"{input.Greeting} {input.Cities[0]}!";

    [Function(nameof(Square))]
    public static long Square([ActivityTrigger] int x) => (long)x * x;

    [Function(nameof(Double))]
    public static ValueTask<int> Double([ActivityTrigger] int x) => ValueTask.FromResult(2 * x);

    [Function(nameof(Fail))]
    public Task<string> Fail([ActivityTrigger] string message) => throw new InvalidOperationException(message);

    [Function(nameof(FailUntil))]
    public int FailUntil([ActivityTrigger] RetryInput input, FunctionContext context)
    {
        var attempt = log.CountAttempt(input.Key);
        return attempt < input.SucceedOnAttempt ? throw new TimeoutException($"attempt {attempt} of {context.FunctionDefinition.Name}") : attempt;
    }

    /// <summary>The first run waits until the worker stops; the next one returns its attempt number.</summary>
    [Function(nameof(RunUntilStopped))]
    public async Task<int> RunUntilStopped([ActivityTrigger] string key, CancellationToken cancellationToken)
    {
        var attempt = log.CountAttempt(key);
        if (attempt == 1)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return attempt;
    }

    [Function(nameof(SeeScope))]
    public async Task<ScopeSeen> SeeScope([ActivityTrigger] object? input, FunctionContext context, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var fromContext = (ScopedProbe)context.InstanceServices.GetService(typeof(ScopedProbe))!;
        return new ScopeSeen(probe.Id, fromContext.Id == probe.Id, context.FunctionDefinition.Name, cancellationToken.CanBeCanceled);
    }
}

/// <summary>A scoped service: one per activity invocation, disposed with its scope.</summary>
public sealed class ScopedProbe(ProbeLog log) : IDisposable
{
    public Guid Id { get; } = Guid.NewGuid();

    public void Dispose() => log.Disposed.Add(Id);
}

/// <summary>What the test functions saw, for the tests to check (a singleton).</summary>
public sealed class ProbeLog
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public ConcurrentBag<Guid> Disposed { get; } = [];

    public int CountAttempt(string key) => _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Attempts(string key) => _attempts.GetValueOrDefault(key);
}

public sealed record GreetInput(string[] Cities, string Greeting);

public sealed record ChildResult(int Doubled, string? ParentInstanceId, string? ParentName);

public sealed record FailureSeen(string? ErrorType, string? ErrorMessage);

public sealed record RetryInput(string Key, int MaxAttempts, int SucceedOnAttempt);

public sealed record ApprovalStatus(string State);

public sealed record ScopeSeen(Guid ProbeId, bool ContextHasSameScope, string FunctionName, bool Cancellable);

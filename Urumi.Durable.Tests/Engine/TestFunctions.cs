using System.Collections.Concurrent;

namespace Urumi.Durable.Tests.Engine;

/// <summary>Orchestrations and activities exercised by the engine tests.</summary>
public static class TestFunctions
{
    public static readonly ConcurrentDictionary<string, int> Attempts = new();

    [Function("Sequence")]
    public static async Task<List<string>> Sequence([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var results = new List<string>();
        foreach (var city in new[] { "Tokyo", "Seattle", "London", "Cairo", "Lima" })
        {
            results.Add(await context.CallActivityAsync<string>("SayHello", city));
        }
        return results;
    }

    [Function("SayHello")]
    public static string SayHello([ActivityTrigger] string name) => $"Hello {name}!";

    [Function("FanOut")]
    public static async Task<int> FanOut([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var n = context.GetInput<int>();
        var tasks = Enumerable.Range(1, n).Select(i => context.CallActivityAsync<int>("Square", i)).ToList();
        var squares = await Task.WhenAll(tasks);
        return squares.Sum();
    }

    [Function("Square")]
    public static async Task<int> Square([ActivityTrigger] int x)
    {
        await Task.Yield();
        return x * x;
    }

    [Function("Approval")]
    public static async Task<string> Approval([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var seconds = context.GetInput<double?>() ?? 300;
        try
        {
            var approved = await context.WaitForExternalEvent<bool>("Approval", TimeSpan.FromSeconds(seconds));
            return approved ? "approved" : "rejected";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }

    [Function("TimerThenDone")]
    public static async Task<DateTime> TimerThenDone([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var ms = context.GetInput<int>();
        await context.CreateTimer(TimeSpan.FromMilliseconds(ms), CancellationToken.None);
        return context.CurrentUtcDateTime;
    }

    [Function("Flaky")]
    public static string Flaky([ActivityTrigger] string key)
    {
        var n = Attempts.AddOrUpdate(key, 1, (_, v) => v + 1);
        if (n < 3)
        {
            throw new InvalidOperationException($"attempt {n} fails");
        }
        return $"ok after {n}";
    }

    [Function("RetryFlaky")]
    public static Task<string> RetryFlaky([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>("Flaky", context.InstanceId, TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromMilliseconds(50), 2.0)));

    [Function("NoRetryFlaky")]
    public static async Task<string> NoRetryFlaky([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        try
        {
            return await context.CallActivityAsync<string>("Flaky", context.InstanceId);
        }
        catch (TaskFailedException e)
        {
            return $"caught {e.FailureDetails.ErrorType}: {e.FailureDetails.ErrorMessage}";
        }
    }

    [Function("Throws")]
    public static Task<string> Throws([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>("Flaky", "always-" + context.NewGuid());

    [Function("Parent")]
    public static async Task<string> Parent([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var child = await context.CallSubOrchestratorAsync<List<string>>("Sequence", null, TaskOptions.WithInstanceId(context.InstanceId + "-child"));
        return string.Join(",", child);
    }

    [Function("Counter")]
    public static async Task<int> Counter([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var n = context.GetInput<int>();
        context.SetCustomStatus(new { n });
        if (n < 5)
        {
            await context.CallActivityAsync<int>("Square", n);
            context.ContinueAsNew(n + 1);
            return -1;
        }
        return n;
    }

    [Function("WaitForever")]
    public static async Task<string> WaitForever([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        context.SetCustomStatus("waiting");
        var value = await context.WaitForExternalEvent<string>("Go");
        return "got " + value;
    }

    /// <summary>Counts "Tick" events in its custom status, forever.</summary>
    [Function("Ticker")]
    public static async Task Ticker([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        for (var ticks = 0; ; ticks++)
        {
            context.SetCustomStatus(ticks);
            await context.WaitForExternalEvent<bool>("Tick");
        }
    }

    /// <summary>Counts "Tick" events, one execution per tick (ContinueAsNew), the count in its custom status.</summary>
    [Function("TickCounter")]
    public static async Task<int> TickCounter([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var n = context.GetInput<int>();
        context.SetCustomStatus(n);
        await context.WaitForExternalEvent<bool>("Tick");
        context.ContinueAsNew(n + 1);
        return n;
    }

    /// <summary>An activity's result and an event, awaited together.</summary>
    [Function("ResultAndEvent")]
    public static async Task<string> ResultAndEvent([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var hello = context.CallActivityAsync<string>("SayHello", "x");
        var go = context.WaitForExternalEvent<string>("Go");
        await Task.WhenAll(hello, go);
        return hello.Result + "/" + go.Result;
    }

    [Function("Echo")]
    public static Task<string> Echo([OrchestrationTrigger] TaskOrchestrationContext context) =>
        context.CallActivityAsync<string>("EchoActivity", context.GetInput<string>());

    [Function("EchoActivity")]
    public static string EchoActivity([ActivityTrigger] string value) => value;

    [Function("Pinger")]
    public static async Task<string> Pinger([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var target = context.GetInput<string>()!;
        context.SendEvent(target, "Go", "ping");
        return "sent";
    }

    /// <summary>Sends "Go" to the instance named by its input, then waits for an event that never comes (it stays Running).</summary>
    [Function("PingThenWait")]
    public static async Task<string> PingThenWait([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var target = context.GetInput<string>()!;
        context.SendEvent(target, "Go", "ping");
        return await context.WaitForExternalEvent<string>("Never");
    }

    /// <summary>Waits for a timer of the seconds given as input.</summary>
    [Function("Sleeper")]
    public static async Task<string> Sleeper([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(context.GetInput<double>()), CancellationToken.None);
        return "woke";
    }

    [Function("GuidTwice")]
    public static async Task<bool> GuidTwice([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var first = context.NewGuid();
        await context.CallActivityAsync<string>("SayHello", first.ToString());
        var second = context.NewGuid();
        return first != second;
    }
}

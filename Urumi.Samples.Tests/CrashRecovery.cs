using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using DurableTask.Core.History;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>Helpers shared by the kill -9 tests: start samples over HTTP, wait, and check histories.</summary>
internal static class CrashRecovery
{
    /// <summary>What HelloSequence returns (samples/Urumi.Samples).</summary>
    public static readonly string[] HelloSequenceOutput = ["Hello Tokyo!", "Hello Seattle!", "Hello London!", "Hello Cairo!", "Hello Lima!"];

    public static async Task<List<string>> StartAsync(FunctionApp app, string name, object? input, int count, string prefix)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await app.Http.PostAsync($"/api/orchestrators/{name}/{prefix}-{i}", input is null ? null : JsonContent.Create(input));
            response.EnsureSuccessStatusCode();
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        }
        return ids;
    }

    /// <summary>Schedules straight into the task hub, so an app that is about to crash cannot refuse the starts.</summary>
    public static async Task<List<string>> ScheduleAsync(DurableTaskClient client, string name, object? input, int count, string prefix)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions($"{prefix}-{i}")));
        }
        return ids;
    }

    /// <summary>Whether every instance is Running: its first episode's history is written (the Instances row follows it).</summary>
    public static async Task<bool> AllRunningAsync(DurableTaskClient client, IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            if (await client.GetInstanceAsync(id) is not { RuntimeStatus: OrchestrationRuntimeStatus.Running })
            {
                return false;
            }
        }
        return true;
    }

    public static Task<IList<HistoryEvent>> WaitForHistoryAsync(DurableTaskClient client, string id, Func<IList<HistoryEvent>, bool> condition, string what) =>
        Eventually.Until(() => client.GetOrchestrationHistoryAsync(id), condition, TimeSpan.FromSeconds(60), what);

    public static async Task<List<OrchestrationMetadata>> WaitAllCompletedAsync(DurableTaskClient client, IEnumerable<string> ids, TimeSpan timeout, Func<string> diagnostics)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return [.. await Task.WhenAll(ids.Select(id => client.WaitForInstanceCompletionAsync(id, true, cts.Token)))];
        }
        catch (OperationCanceledException e)
        {
            var states = new List<string>();
            foreach (var id in ids)
            {
                states.Add($"{id}: {(await client.GetInstanceAsync(id))?.RuntimeStatus}");
            }
            throw new TimeoutException($"Not all instances completed within {timeout}: {string.Join(", ", states)}\n{diagnostics()}", e);
        }
    }

    /// <summary>
    /// Every scheduled activity and timer has a completion and the instance completed once. Durable Functions runs
    /// activities at least once: an activity whose worker died after it ran, before its message was deleted, runs
    /// again and a second TaskCompleted may be written (the orchestration ignores it), so duplicates are allowed.
    /// </summary>
    public static async Task AssertEveryTaskCompletedAsync(DurableTaskClient client, string id)
    {
        var history = await client.GetOrchestrationHistoryAsync(id);
        var scheduled = history.Where(e => e is TaskScheduledEvent or TimerCreatedEvent).Select(e => e.EventId).Order().ToList();
        Assert.Equal(scheduled, history.Select(CompletionOf).OfType<int>().Distinct().Order().ToList());
        Assert.Single(history, e => e is ExecutionCompletedEvent);
    }

    private static int? CompletionOf(HistoryEvent e) => e switch
    {
        TaskCompletedEvent c => c.TaskScheduledId,
        TaskFailedEvent f => f.TaskScheduledId,
        TimerFiredEvent t => t.TimerId,
        _ => null,
    };
}

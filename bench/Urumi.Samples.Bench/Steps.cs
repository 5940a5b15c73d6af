using DurableTask.Core.History;
using Microsoft.DurableTask.Client;

namespace Urumi.Samples.Bench;

/// <summary>p50, p90, p99 and max of a sample, in its unit (nearest rank).</summary>
internal sealed record Percentiles(double P50, double P90, double P99, double Max)
{
    public static Percentiles Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN);
        }
        var sorted = values.Order().ToList();
        double At(double q) => Math.Round(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)], 1);
        return new Percentiles(At(0.50), At(0.90), At(0.99), Math.Round(sorted[^1], 1));
    }
}

/// <summary>
/// Step latencies of instances, from their histories: each activity's TaskCompleted to the next one's (Step), split
/// at the next activity's TaskScheduled (ToScheduled: the completion message reached an episode that replayed and
/// decided; ScheduledToCompleted: the episode's history append, the activity message, its dequeue and the activity).
/// </summary>
internal sealed record Steps(int Count, Percentiles Step, Percentiles ToScheduled, Percentiles ScheduledToCompleted)
{
    public static async Task<Steps> ReadAsync(DurableTaskClient client, IEnumerable<string> instanceIds)
    {
        var histories = new List<IList<HistoryEvent>>();
        await Parallel.ForEachAsync(instanceIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
        {
            var history = await client.GetOrchestrationHistoryAsync(id, ct);
            lock (histories)
            {
                histories.Add(history);
            }
        });
        var step = new List<double>();
        var toScheduled = new List<double>();
        var scheduledToCompleted = new List<double>();
        foreach (var history in histories)
        {
            var scheduled = history.OfType<TaskScheduledEvent>().OrderBy(e => e.EventId).ToList();
            var completed = scheduled.Select(s => history.OfType<TaskCompletedEvent>().Single(c => c.TaskScheduledId == s.EventId)).ToList();
            for (var i = 1; i < scheduled.Count; i++)
            {
                step.Add((completed[i].Timestamp - completed[i - 1].Timestamp).TotalMilliseconds);
                toScheduled.Add((scheduled[i].Timestamp - completed[i - 1].Timestamp).TotalMilliseconds);
                scheduledToCompleted.Add((completed[i].Timestamp - scheduled[i].Timestamp).TotalMilliseconds);
            }
        }
        return new Steps(step.Count, Percentiles.Of(step), Percentiles.Of(toScheduled), Percentiles.Of(scheduledToCompleted));
    }
}

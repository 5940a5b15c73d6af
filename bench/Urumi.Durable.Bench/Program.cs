using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Durable.Bench;
using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Hosting;
using Urumi.Durable.Samples;
using Urumi.Durable.Storage;
using Urumi.Durable.Testing;
using Urumi.Durable.Worker;

// Urumi.Durable benchmark: Azurite's raw rates, then the samples app (in this process) on that Azurite:
// HelloSequence throughput with 100 in flight, storage operations per activity, step and start latency,
// timer lateness, and RSS with 1,000 instances in flight. Usage: dotnet run -c Release --project bench/Urumi.Durable.Bench [-- --orchestrations N]
var orchestrations = args.SkipWhile(a => a != "--orchestrations").Skip(1).Select(int.Parse).FirstOrDefault(600);
const int InFlight = 100;

await using var azurite = await AzuriteServer.StartAsync();
Console.WriteLine("measuring Azurite's raw rates ...");
var raw = await AzuriteRates.MeasureAsync(azurite.ConnectionString);

var samplesDir = Path.GetDirectoryName(typeof(HelloSequence).Assembly.Location)!;
var builder = FunctionsApplication.CreateBuilder(
    ["--urls", "http://127.0.0.1:0", $"--AzureWebJobsStorage={azurite.ConnectionString}", "--Auth:AdminKey=bench-admin-key", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Urumi=Warning"],
    samplesDir, typeof(HelloSequence).Assembly.GetTypes());
await using var app = builder.Build();
await app.StartAsync();
var worker = app.Services.GetRequiredService<DurableWorker>();
var client = app.Services.GetRequiredService<DurableTaskClient>();
var metrics = app.Services.GetRequiredService<ITaskHubStorage>().Metrics;
var completed = new ConcurrentDictionary<string, TaskCompletionSource>();
var scheduleCallMs = new ConcurrentDictionary<string, double>();
worker.InstanceCompleted += (id, _) => completed.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

Task RunAsync(string name, object? input, string id)
{
    var done = completed.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    var watch = Stopwatch.StartNew();
    return client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(id)).ContinueWith(_ =>
    {
        scheduleCallMs[id] = watch.Elapsed.TotalMilliseconds;
        return done.Task;
    }).Unwrap();
}

async Task<(double Seconds, List<string> Ids)> RunManyAsync(string prefix, int count, int inFlight)
{
    var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:0000}").ToList();
    var gate = new SemaphoreSlim(inFlight);
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(ids.Select(async id =>
    {
        await gate.WaitAsync();
        try
        {
            await RunAsync(nameof(HelloSequence), null, id);
        }
        finally
        {
            gate.Release();
        }
    }));
    return (watch.Elapsed.TotalSeconds, ids);
}

Console.WriteLine("warming up ...");
await RunManyAsync("warmup", 50, 25);

Console.WriteLine($"HelloSequence x {orchestrations}, {InFlight} in flight ...");
var before = Snapshot(metrics);
var (seconds, ids) = await RunManyAsync("load", orchestrations, InFlight);
var after = Snapshot(metrics);
var throughput = orchestrations / seconds;
var ops = after.Subtract(before);
var activityCalls = orchestrations * 5.0;
var opsPerActivity = ops.Total / activityCalls;
var perOrchestration = ops.Scale(1.0 / orchestrations);
var allowed = 1.0 / (
    perOrchestration.QueueSends / raw.QueueSend
    + perOrchestration.QueueReceives / raw.QueueReceive
    + perOrchestration.QueueDeletes / raw.QueueDelete
    + perOrchestration.QueueUpdates / raw.QueueSend
    + perOrchestration.TableWrites / raw.TablePointWrite
    + perOrchestration.TableBatches / raw.TableBatchWrite
    + perOrchestration.TableReads / raw.TablePartitionQuery
    + perOrchestration.Blobs / raw.TablePointWrite);
var (loadSteps, loadStarts) = await LatenciesAsync(ids);

Console.WriteLine("HelloSequence one at a time (latency without queueing) ...");
var (_, quietIds) = await RunManyAsync("quiet", 40, 1);
var (quietSteps, quietStarts) = await LatenciesAsync(quietIds);

Console.WriteLine("timers: 20 x Approval with a 2 s timeout ...");
await Task.WhenAll(Enumerable.Range(0, 20).Select(i => RunAsync(nameof(Approval), 2, $"timer-{i}")));
var lateness = new List<double>();
for (var i = 0; i < 20; i++)
{
    var history = await client.GetOrchestrationHistoryAsync($"timer-{i}");
    var fired = history.Select((e, index) => (e, index)).First(x => x.e.EventType == EventType.TimerFired);
    var step = history.Take(fired.index).Last(e => e.EventType == EventType.OrchestratorStarted);
    lateness.Add((step.Timestamp - fired.e.FireAt!.Value).TotalMilliseconds);
}

Console.WriteLine("RSS with 1,000 instances in flight ...");
var waiting = Enumerable.Range(0, 1000).Select(i => $"inflight-{i:0000}").ToList();
await Parallel.ForEachAsync(waiting, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
    await client.ScheduleNewOrchestrationInstanceAsync(nameof(Approval), 3600, new StartOrchestrationOptions(id)));
await WaitUntilAsync(async () => await CountAsync(client, "inflight-", OrchestrationRuntimeStatus.Running) == 1000, TimeSpan.FromMinutes(5));
GC.Collect();
GC.WaitForPendingFinalizers();
var process = Process.GetCurrentProcess();
process.Refresh();
var rssMb = process.WorkingSet64 / 1024.0 / 1024.0;

var results = new
{
    machine = new { cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
    azuriteRawRatesPerSecond = raw,
    helloSequence = new
    {
        orchestrations,
        inFlight = InFlight,
        seconds = Math.Round(seconds, 2),
        orchestrationsPerSecond = Math.Round(throughput, 1),
        storageOperationsPerActivity = Math.Round(opsPerActivity, 2),
        storageOperationsPerOrchestration = perOrchestration,
        azuriteAllowsOrchestrationsPerSecond = Math.Round(allowed, 1),
        throughputVsAllowed = Math.Round(throughput / allowed, 2),
    },
    stepLatencyMs = new { underLoad = loadSteps, oneAtATime = quietSteps },
    scheduleCallMsUnderLoad = Percentiles([.. ids.Select(id => scheduleCallMs[id])]),
    timeInSystemMsUnderLoad = Math.Round(InFlight / throughput * 1000),
    startLatencyMs = new { underLoad = loadStarts, oneAtATime = quietStarts },
    timerLatenessMs = Percentiles(lateness),
    rssMbWith1000InFlight = Math.Round(rssMb, 1),
};
var json = JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
Directory.CreateDirectory(Path.Combine(Repo.Root, "bench", "results"));
await File.WriteAllTextAsync(Path.Combine(Repo.Root, "bench", "results", "durable.json"), json);
Console.WriteLine(json);
Console.WriteLine();
Console.WriteLine("| figure | measured | target | met |");
Console.WriteLine("|---|---|---|---|");
Row("storage operations per activity call", $"{opsPerActivity:0.00}", "<= 4", opsPerActivity <= 4);
Row("HelloSequence throughput, 100 in flight", $"{throughput:0.0} orch/s = {throughput / allowed:0.00} x what Azurite's raw rates allow ({allowed:0.0})", ">= 0.5 x", throughput >= 0.5 * allowed);
Row("step latency p50 / p99 (under load)", $"{loadSteps.P50:0.0} / {loadSteps.P99:0.0} ms", "<= 25 / <= 250 ms", loadSteps.P50 <= 25 && loadSteps.P99 <= 250);
Row("step latency p50 / p99 (one at a time)", $"{quietSteps.P50:0.0} / {quietSteps.P99:0.0} ms", "<= 25 / <= 250 ms", quietSteps.P50 <= 25 && quietSteps.P99 <= 250);
var scheduleCall = Percentiles([.. ids.Select(id => scheduleCallMs[id])]);
Console.WriteLine($"| start latency p50 / p99 (under load: {InFlight} in flight, saturated) | {loadStarts.P50:0.0} / {loadStarts.P99:0.0} ms; schedule call alone {scheduleCall.P50:0.0} / {scheduleCall.P99:0.0} ms | "
    + $"none: a closed loop at saturation spends in-flight / throughput = {InFlight / throughput * 1000:0} ms per orchestration in the system (Little's law) | n/a |");
Row("start latency p50 / p99 (one at a time)", $"{quietStarts.P50:0.0} / {quietStarts.P99:0.0} ms", "p99 <= 200 ms", quietStarts.P99 <= 200);
Row("timer lateness p50 / p99", $"{Percentiles(lateness).P50:0.0} / {Percentiles(lateness).P99:0.0} ms", "< 1000 ms", Percentiles(lateness).P99 < 1000);
Row("RSS with 1,000 instances in flight", $"{rssMb:0} MB", "<= 300 MB", rssMb <= 300);
await app.StopAsync();
return;

static void Row(string figure, string measured, string target, bool met) => Console.WriteLine($"| {figure} | {measured} | {target} | {(met ? "yes" : "NO")} |");

async Task<(Percentile Steps, Percentile Starts)> LatenciesAsync(List<string> instanceIds)
{
    var steps = new List<double>();
    var starts = new List<double>();
    foreach (var id in instanceIds)
    {
        var history = await client.GetOrchestrationHistoryAsync(id);
        var row = await client.GetInstanceAsync(id);
        starts.Add((history.First(e => e.EventType == EventType.OrchestratorStarted).Timestamp - row!.CreatedAt.UtcDateTime).TotalMilliseconds);
        var done = history.Where(e => e.EventType == EventType.TaskCompleted).OrderBy(e => e.TaskScheduledId).ToList();
        for (var i = 1; i < done.Count; i++)
        {
            steps.Add((done[i].StartedAt!.Value - done[i - 1].Timestamp).TotalMilliseconds);
        }
    }
    return (Percentiles(steps), Percentiles(starts));
}

static Percentile Percentiles(List<double> values)
{
    var sorted = values.Order().ToList();
    double At(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    return new Percentile(Math.Round(At(0.50), 1), Math.Round(At(0.99), 1), Math.Round(sorted[^1], 1), sorted.Count);
}

static async Task<int> CountAsync(DurableTaskClient client, string prefix, OrchestrationRuntimeStatus status)
{
    var count = 0;
    await foreach (var _ in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, Statuses = [status], PageSize = 1000 }))
    {
        count++;
    }
    return count;
}

static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("The 1,000 instances did not all start in time.");
        }
        await Task.Delay(500);
    }
}

static OpCounts Snapshot(StorageMetrics m) => new(m.QueueSends, m.QueueReceives, m.QueueDeletes, m.QueueUpdates, m.TableReads, m.TableWrites, m.TableBatches, m.BlobOperations);

internal sealed record Percentile(double P50, double P99, double Max, int Samples);

internal sealed record OpCounts(double QueueSends, double QueueReceives, double QueueDeletes, double QueueUpdates, double TableReads, double TableWrites, double TableBatches, double Blobs)
{
    public double Total => QueueSends + QueueReceives + QueueDeletes + QueueUpdates + TableReads + TableWrites + TableBatches + Blobs;

    public OpCounts Subtract(OpCounts o) => new(QueueSends - o.QueueSends, QueueReceives - o.QueueReceives, QueueDeletes - o.QueueDeletes, QueueUpdates - o.QueueUpdates,
        TableReads - o.TableReads, TableWrites - o.TableWrites, TableBatches - o.TableBatches, Blobs - o.Blobs);

    public OpCounts Scale(double f) => new(Math.Round(QueueSends * f, 2), Math.Round(QueueReceives * f, 2), Math.Round(QueueDeletes * f, 2), Math.Round(QueueUpdates * f, 2),
        Math.Round(TableReads * f, 2), Math.Round(TableWrites * f, 2), Math.Round(TableBatches * f, 2), Math.Round(Blobs * f, 2));
}

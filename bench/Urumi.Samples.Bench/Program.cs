using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Urumi.Bench;
using Urumi.Samples.Bench;
using Urumi.Testing;

// HelloSequence (five activities in sequence, no work in them) on the samples app, run as its own process and
// self-hosted on DurableTask.AzureStorage, on the pinned Azurite:
//   1. a closed loop with --in-flight instances (each completion starts the next): throughput over --orchestrations
//      completions after --warmup ones, and the step latency of the instances that ran inside that window;
//   2. --sequential instances one at a time: their step latency.
// Step latency is read from the histories: from one activity's TaskCompleted to the next one's. SayHello does no work,
// so that is the engine's whole step: the completion message, the orchestrator's episode and its history append,
// the activity message and its dequeue. It is also split at the next activity's TaskScheduled (the episode decided).
// Usage: dotnet run -c Release --project bench/Urumi.Samples.Bench [-- --orchestrations 600 --warmup 50 --in-flight 100
//        --sequential 20 --setting AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount=8]
var options = BenchOptions.Parse(args);
var loadBefore = LoadAverage.Read();
await using var azurite = await AzuriteServer.StartAsync();
var hub = "bench" + Guid.NewGuid().ToString("N")[..8];
await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, hub, options.AppSettings);
var client = app.CreateStorageClient();
var settings = EffectiveSettings.Of(Path.GetDirectoryName(Repo.SamplesDll)!, options.AppSettings);
Console.WriteLine($"HelloSequence: {options.Warmup} + {options.Orchestrations} orchestrations with {options.InFlight} in flight, then {options.Sequential} one at a time; load average {loadBefore}");
Console.WriteLine($"settings: {string.Join(", ", settings.Select(s => $"{s.Key} {s.Value}"))}");

async Task StartAsync(string id)
{
    using var response = await app.Http.PostAsync($"/api/orchestrators/HelloSequence/{id}", null);
    if (response.StatusCode != HttpStatusCode.Accepted)
    {
        throw new InvalidOperationException($"POST /api/orchestrators/HelloSequence/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}

// 1. The closed loop.
var loop = new ClosedLoop(client, StartAsync, "load" + Guid.NewGuid().ToString("N")[..6] + "-", options.InFlight);
await loop.RunAsync(options.Warmup + options.Orchestrations, TimeSpan.FromMinutes(15));
var instances = await loop.InstancesAsync();
var failed = instances.Count(i => i.RuntimeStatus != OrchestrationRuntimeStatus.Completed);
var completions = instances.Select(i => i.LastUpdatedAt).Order().ToList();
var windowStart = completions[options.Warmup - 1];
var windowEnd = completions[options.Warmup + options.Orchestrations - 1];
var throughput = options.Orchestrations / (windowEnd - windowStart).TotalSeconds;
var measured = instances.Where(i => i.CreatedAt >= windowStart && i.LastUpdatedAt <= windowEnd).ToList();
var underLoad = await Steps.ReadAsync(client, measured.Select(i => i.InstanceId));
var timeInSystem = measured.Select(i => (i.LastUpdatedAt - i.CreatedAt).TotalMilliseconds).ToList();
Console.WriteLine($"closed loop: {throughput:F1} orchestrations/s ({failed} not completed)");

// 2. One at a time.
var sequentialIds = new List<string>();
for (var i = 0; i < options.Sequential; i++)
{
    var id = $"one{Guid.NewGuid().ToString("N")[..6]}-{i:D3}";
    await StartAsync(id);
    await Eventually.Until(
        () => client.GetInstancesAsync(id),
        m => m is not null && m.IsCompleted,
        TimeSpan.FromMinutes(1),
        $"{id} to complete");
    sequentialIds.Add(id);
}
var oneAtATime = await Steps.ReadAsync(client, sequentialIds);
var loadAfter = LoadAverage.Read();

var report = new
{
    measuredAt = DateTimeOffset.UtcNow,
    machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, dotnet = Environment.Version.ToString() },
    loadAverage = new { before = loadBefore, after = loadAfter },
    settings,
    orchestrations = options.Orchestrations,
    warmup = options.Warmup,
    inFlight = options.InFlight,
    notCompleted = failed,
    throughputPerSecond = Math.Round(throughput, 1),
    measuredInstances = measured.Count,
    timeInSystemMs = Percentiles.Of(timeInSystem),
    stepLatencyUnderLoadMs = underLoad,
    stepLatencyOneAtATimeMs = oneAtATime,
    sequential = options.Sequential,
};
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
var results = Path.Combine(Repo.Root, "bench", "results");
Directory.CreateDirectory(results);
File.WriteAllText(Path.Combine(results, "samples.json"), json);
Console.WriteLine(json);
Console.WriteLine();
Console.WriteLine("| figure | measured |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| HelloSequence throughput, {options.InFlight} in flight | {throughput:F1} orch/s ({options.Orchestrations} after {options.Warmup} warm-up; {failed} not completed) |");
Console.WriteLine($"| time in system p50 / p99, under load | {report.timeInSystemMs.P50:F0} / {report.timeInSystemMs.P99:F0} ms |");
Console.WriteLine($"| step latency p50 / p99, under load | {underLoad.Step.P50:F0} / {underLoad.Step.P99:F0} ms (to TaskScheduled {underLoad.ToScheduled.P50:F0} / {underLoad.ToScheduled.P99:F0}, then {underLoad.ScheduledToCompleted.P50:F0} / {underLoad.ScheduledToCompleted.P99:F0}; {underLoad.Count} steps) |");
Console.WriteLine($"| step latency p50 / p99, one at a time | {oneAtATime.Step.P50:F0} / {oneAtATime.Step.P99:F0} ms (to TaskScheduled {oneAtATime.ToScheduled.P50:F0} / {oneAtATime.ToScheduled.P99:F0}, then {oneAtATime.ScheduledToCompleted.P50:F0} / {oneAtATime.ScheduledToCompleted.P99:F0}; {oneAtATime.Count} steps) |");
Console.WriteLine($"| load average (1, 5, 15 min) before / after | {loadBefore} / {loadAfter} |");
return failed == 0 ? 0 : 1;

namespace Urumi.Samples.Bench
{
    internal sealed record BenchOptions(int Orchestrations, int Warmup, int InFlight, int Sequential, Dictionary<string, string> AppSettings)
    {
        public static BenchOptions Parse(string[] args)
        {
            int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length
                ? int.Parse(args[i + 1], CultureInfo.InvariantCulture)
                : fallback;
            // The samples app logs each activity at Information; at this rate that would be the bench's own load.
            var settings = new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Urumi.Hosting"] = "Warning",
            };
            for (var i = 0; i < args.Length - 1; i++)
            {
                if (args[i] == "--setting" && args[i + 1].Split('=', 2) is [var key, var value])
                {
                    settings[key] = value;
                }
            }
            var options = new BenchOptions(Option("--orchestrations", 600), Option("--warmup", 50), Option("--in-flight", 100), Option("--sequential", 20), settings);
            return options.Orchestrations < 1 || options.Warmup < 1 || options.InFlight < 1
                ? throw new ArgumentException("--orchestrations, --warmup and --in-flight must be at least 1")
                : options;
        }
    }
}

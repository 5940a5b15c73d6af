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
//        --sequential 20 --setting AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount=8
//        --variant name:key=value,... (durable settings under extensions:durableTask; repeatable: each runs on a fresh
//        app and task hub, one after the other, on the same Azurite)]
var options = BenchOptions.Parse(args);
var loadBefore = LoadAverage.Read();
await using var azurite = await AzuriteServer.StartAsync();
var reports = new List<VariantReport>();
foreach (var (name, overrides) in options.Variants)
{
    var appSettings = new Dictionary<string, string>(options.AppSettings);
    foreach (var (key, value) in overrides)
    {
        appSettings["AzureFunctionsJobHost__extensions__durableTask__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
    }
    reports.Add(await RunAsync(name, appSettings));
}

// One variant: a fresh samples app on its own task hub (the same Azurite), the closed loop, then one at a time.
async Task<VariantReport> RunAsync(string name, Dictionary<string, string> appSettings)
{
    var variantLoadBefore = LoadAverage.Read();
    var hub = "bench" + Guid.NewGuid().ToString("N")[..8];
    await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, hub, appSettings);
    var client = app.CreateStorageClient();
    var settings = EffectiveSettings.Of(Path.GetDirectoryName(Repo.SamplesDll)!, appSettings);
    Console.WriteLine($"[{name}] HelloSequence: {options.Warmup} + {options.Orchestrations} orchestrations with {options.InFlight} in flight, then {options.Sequential} one at a time; load average {variantLoadBefore}");
    Console.WriteLine($"[{name}] settings: {string.Join(", ", settings.Select(s => $"{s.Key} {s.Value}"))}");

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
    Console.WriteLine($"[{name}] closed loop: {throughput:F1} orchestrations/s ({failed} not completed)");

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
    return new VariantReport(name, settings, variantLoadBefore, LoadAverage.Read(), failed, Math.Round(throughput, 1), measured.Count,
        Percentiles.Of(timeInSystem), underLoad, oneAtATime);
}

var loadAfter = LoadAverage.Read();
var report = new
{
    measuredAt = DateTimeOffset.UtcNow,
    machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription, dotnet = Environment.Version.ToString() },
    loadAverage = new { before = loadBefore, after = loadAfter },
    orchestrations = options.Orchestrations,
    warmup = options.Warmup,
    inFlight = options.InFlight,
    sequential = options.Sequential,
    variants = reports,
};
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
var results = Path.Combine(Repo.Root, "bench", "results");
Directory.CreateDirectory(results);
File.WriteAllText(Path.Combine(results, "samples.json"), json);
Console.WriteLine(json);
Console.WriteLine();
Console.WriteLine("| variant | throughput, " + options.InFlight + " in flight | time in system p50 / p99 | step p50 / p99 under load | step p50 / p99 one at a time | load average before / after |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var r in reports)
{
    Console.WriteLine($"| {r.Variant} | {r.ThroughputPerSecond:F1} orch/s ({r.NotCompleted} not completed) | {r.TimeInSystemMs.P50:F0} / {r.TimeInSystemMs.P99:F0} ms "
        + $"| {r.StepLatencyUnderLoadMs.Step.P50:F0} / {r.StepLatencyUnderLoadMs.Step.P99:F0} ms | {r.StepLatencyOneAtATimeMs.Step.P50:F0} / {r.StepLatencyOneAtATimeMs.Step.P99:F0} ms "
        + $"| {r.LoadBefore} / {r.LoadAfter} |");
}
return reports.All(r => r.NotCompleted == 0) ? 0 : 1;

namespace Urumi.Samples.Bench
{
    internal sealed record VariantReport(
        string Variant, Dictionary<string, string> Settings, string LoadBefore, string LoadAfter, int NotCompleted, double ThroughputPerSecond,
        int MeasuredInstances, Percentiles TimeInSystemMs, Steps StepLatencyUnderLoadMs, Steps StepLatencyOneAtATimeMs);

    internal sealed record BenchOptions(
        int Orchestrations, int Warmup, int InFlight, int Sequential, Dictionary<string, string> AppSettings,
        List<(string Name, Dictionary<string, string> Overrides)> Variants)
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
            // --variant name:key=value,... (durable settings relative to extensions:durableTask), run one after the other.
            var variants = args.Select((a, i) => (a, i)).Where(x => x.a == "--variant" && x.i + 1 < args.Length)
                .Select(x => args[x.i + 1].Split(':', 2) is [var name, var rest] ? (name, rest) : (args[x.i + 1], ""))
                .Select(v => (v.Item1, v.Item2.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2))
                    .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : throw new ArgumentException($"--variant: '{kv[0]}' has no value"))))
                .ToList();
            if (variants.Count == 0)
            {
                variants.Add(("shipped", []));
            }
            var options = new BenchOptions(Option("--orchestrations", 600), Option("--warmup", 50), Option("--in-flight", 100), Option("--sequential", 20), settings, variants);
            return options.Orchestrations < 1 || options.Warmup < 1 || options.InFlight < 1
                ? throw new ArgumentException("--orchestrations, --warmup and --in-flight must be at least 1")
                : options;
        }
    }
}

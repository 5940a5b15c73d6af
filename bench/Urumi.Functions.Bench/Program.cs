using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using k8s;
using k8s.Models;
using DurableTask.Core.History;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask.Client;
using Urumi.Bench;
using Urumi.Hosting;
using Urumi.Testing;
using Urumi.Functions;
using Urumi.Functions.Bench;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.KubeSim;
using Urumi.KubeSim.Testing;

// The control plane against plain helm, in one run on one KubeSim (its default, realistic delays):
//   1. a script runs N `helm upgrade --install --wait` with xargs -P C (namespaces and Secrets made beforehand);
//   2. the control plane (in this process, on Azurite) provisions N stores with Urumi:Provisioning:MaxConcurrent C.
// Reports both makespans, their ratio, and the control plane's overhead per store: end to end (POST to Ready)
// minus time in helm, in Kubernetes calls, and waiting for a slot (which the script's xargs waits too).
// Usage: dotnet run -c Release --project bench/Urumi.Functions.Bench [-- --stores 50 --concurrency 10 --helm helm3 --burst]
//   [--variant name:key=value,... (durable settings under extensions:durableTask; repeatable, run in order) --repeat N]
// Recovery (Recovery.cs): [-- --recovery] or [-- --failover], with the control plane as processes that are killed.
// Tracing cost (TracingCost.cs): [-- --tracing --stores 10 --concurrency 5 --rounds 2], tracing off and on side by side.
if (args.Contains("--tracing"))
{
    return await Urumi.Functions.Bench.TracingCost.RunAsync(args);
}
if (args.Contains("--recovery") || args.Contains("--failover"))
{
    return await Urumi.Functions.Bench.Recovery.RunAsync(args, failover: args.Contains("--failover"));
}
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var stores = Option("--stores", 50);
// Paced (the default) keeps `concurrency` stores in flight and posts the next when one is Ready, as xargs -P starts the
// next helm when one exits. --burst posts all of them at once and lets the provisioning gate queue them.
var burst = args.Contains("--burst");
var concurrency = Option("--concurrency", 10);
var helmTool = Array.IndexOf(args, "--helm") is var h and >= 0 && h + 1 < args.Length ? args[h + 1] : "helm3";
var helm = Repo.Tool(helmTool);
var chart = Path.Combine(Repo.Root, "charts", "woocommerce");

var loadBefore = LoadAverage.Read();
await using var azurite = await AzuriteServer.StartAsync();
await using var sim = await Sim.StartAsync(new KubeSimOptions());
Console.WriteLine($"{stores} woocommerce stores, concurrency {concurrency}, {helmTool}, KubeSim at {sim.Server.Url}");

// 1. The script.
var scriptIds = Enumerable.Range(1, stores).Select(i => $"plain{i}").ToList();
foreach (var id in scriptIds)
{
    await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = id } });
    await sim.Client.CoreV1.CreateNamespacedSecretAsync(StoreResources.Credentials(id, id, "woocommerce"), id);
}
var wait = helmTool == "helm3" ? "--wait" : "--wait=watcher";
var script = Path.Combine(sim.Directory, "install.sh");
File.WriteAllText(script, $$"""
    #!/usr/bin/env bash
    set -euo pipefail
    printf '%s\n' {{string.Join(' ', scriptIds)}} | xargs -P {{concurrency}} -I{} \
      "{{helm}}" upgrade --install {} "{{chart}}" --namespace {} --values "{{chart}}/values-local.yaml" \
        --set-string ingress.host={}.localtest.me --set-string existingSecret={}-credentials {{wait}} --timeout 300s --history-max 10
    """);
// Warm-up (not timed), for both sides alike: one install loads helm and the chart from disk into the page cache
// here, and one store JIT-compiles the control plane below; a control plane is a long-running service.
await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "warmup" } });
await sim.Client.CoreV1.CreateNamespacedSecretAsync(StoreResources.Credentials("warmup", "warmup", "woocommerce"), "warmup");
var warmup = await CommandLine.RunAsync(helm, ["upgrade", "--install", "warmup", chart, "--namespace", "warmup", "--values", $"{chart}/values-local.yaml",
    "--set-string", "ingress.host=warmup.localtest.me", "--set-string", "existingSecret=warmup-credentials", wait, "--timeout", "300s"], sim.ToolEnvironment(), sim.Directory, TimeSpan.FromMinutes(5));
if (warmup.ExitCode != 0)
{
    Console.Error.WriteLine(warmup.Output);
    return 1;
}
var self = Process.GetCurrentProcess();
var cpuBefore = Cpu.Now(self, azurite);
var scriptWatch = Stopwatch.StartNew();
var scriptRun = await CommandLine.RunAsync("bash", [script], sim.ToolEnvironment(), sim.Directory, TimeSpan.FromMinutes(30));
var scriptMakespan = scriptWatch.Elapsed;
if (scriptRun.ExitCode != 0)
{
    Console.Error.WriteLine(scriptRun.Output);
    return 1;
}
var scriptCpu = Cpu.Now(self, azurite) - cpuBefore;
var scriptLoadAfter = LoadAverage.Read();
Console.WriteLine($"script: {scriptMakespan.TotalSeconds:F1} s");

// 2. The control plane, in this process, once per variant (the shipped settings unless --variant is given), each on
// its own task hub, one after the other against the same script run.
var variants = args.Select((a, i) => (a, i)).Where(x => x.a == "--variant" && x.i + 1 < args.Length).Select(x => Variant.Parse(args[x.i + 1])).ToList();
if (variants.Count == 0)
{
    variants.Add(Variant.Shipped);
}
var repeat = Option("--repeat", 1);
var results = new List<PlaneResult>();
for (var round = 0; round < repeat; round++)
{
    foreach (var variant in variants)
    {
        var result = await PlaneRun.RunAsync(variant, results.Count, azurite, sim, helm, stores, concurrency, burst);
        results.Add(result);
        Console.WriteLine($"control plane [{variant.Name}]: {result.Makespan.TotalSeconds:F1} s, ratio {result.Makespan / scriptMakespan:F3}, "
            + $"overhead p50 {P(result.Overheads.Select(o => o.Ms), 0.5):F0} ms ({string.Join(", ", result.Outcomes.Select(o => $"{o.Value} {o.Key}"))}); "
            + $"load {result.LoadBefore} -> {result.LoadAfter}");
    }
}

foreach (var result in results)
{
    Console.WriteLine($"[{result.Variant.Name}] {string.Join(", ", result.Variant.DurableSettings.Select(s => $"{s.Key}={s.Value}"))}");
    Console.WriteLine("  phase (ms)                                                      p50      p90");
    foreach (var (phase, values) in result.Phases.Concat(result.Breakdown))
    {
        Console.WriteLine($"    {phase,-60} {P(values, 0.5),6:F0}   {P(values, 0.9),6:F0}");
    }
    Console.WriteLine($"  engine: {string.Join(", ", result.Engine.Select(e => $"{e.Key} {(e.Value is System.Collections.IDictionary d ? JsonSerializer.Serialize(d) : e.Value)}"))}");
}

IEnumerable<double> WithGate(PlaneResult r) =>
    r.Breakdown["end to end, POST to Ready"].Zip(r.Breakdown["  helm + Kubernetes calls (in activities)"], (e, h) => e - h);
double PerStore(TimeSpan cpu) => Math.Round(cpu.TotalMilliseconds / stores, 1);
double P(IEnumerable<double> values, double q)
{
    var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
}
object Percentiles(Dictionary<string, List<double>> table) =>
    table.ToDictionary(r => r.Key.Trim(), r => new { p50 = Math.Round(P(r.Value, 0.5), 1), p90 = Math.Round(P(r.Value, 0.9), 1), mean = Math.Round(r.Value.Where(v => !double.IsNaN(v)).DefaultIfEmpty().Average(), 1) });
var report = new
{
    measuredAt = DateTimeOffset.UtcNow,
    machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
    loadAverage = new { before = loadBefore, afterScript = scriptLoadAfter, after = LoadAverage.Read() },
    stores,
    concurrency,
    mode = burst ? "burst: all posted at once, the provisioning gate queues them" : "paced: the client keeps `concurrency` stores in flight, as xargs -P does",
    helm = helmTool,
    scriptMakespanSeconds = Math.Round(scriptMakespan.TotalSeconds, 2),
    scriptInstallMs = Math.Round(scriptIds.Select(id => sim.Server.Operations.HelmInstall(id, id)).Average(i => (i.Item2.At - i.Item1.At).TotalMilliseconds), 0),
    scriptCpuMsPerStore = new { helm = PerStore(scriptCpu.Helm), process = PerStore(scriptCpu.Process), azurite = PerStore(scriptCpu.Azurite) },
    makespanTarget = 1.10,
    overheadTargetMs = 150,
    // Overhead per store = end to end (POST to Ready) minus time in helm, in Kubernetes calls and (when over 500 ms)
    // waiting for a slot. The breakdown's rows are sums per store over its episodes and activities.
    controlPlane = results.Select(r => new
    {
        variant = r.Variant.Name,
        overrides = r.Variant.DurableSettings,
        settings = r.Settings,
        loadAverage = new { before = r.LoadBefore, after = r.LoadAfter },
        makespanSeconds = Math.Round(r.Makespan.TotalSeconds, 2),
        makespanRatio = Math.Round(r.Makespan / scriptMakespan, 3),
        overheadP50Ms = Math.Round(P(r.Overheads.Select(o => o.Ms), 0.5), 1),
        overheadP90Ms = Math.Round(P(r.Overheads.Select(o => o.Ms), 0.9), 1),
        // The same without forgiving any slot wait: in the paced mode no store should wait for a slot, so what the
        // overhead above subtracts as one is the gate's own round trip.
        overheadWithGateP50Ms = Math.Round(P(WithGate(r), 0.5), 1),
        queuedStores = r.Overheads.Count(o => o.Queued),
        outcomes = r.Outcomes,
        cpuMsPerStore = new { helm = PerStore(r.Cpu.Helm), process = PerStore(r.Cpu.Process), azurite = PerStore(r.Cpu.Azurite) },
        coresBusy = Math.Round(r.Cpu.Total / r.Makespan, 2),
        installMs = r.InstallMeanMs,
        phasesMs = Percentiles(r.Phases),
        breakdown = Percentiles(r.Breakdown),
        engine = r.Engine,
    }).ToList(),
};
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
Directory.CreateDirectory(Path.Combine(Repo.Root, "bench", "results"));
File.WriteAllText(Path.Combine(Repo.Root, "bench", "results", burst ? "functions-burst.json" : "functions.json"), json);
Console.WriteLine(json);
Console.WriteLine($"script makespan {scriptMakespan.TotalSeconds:F1} s");
foreach (var r in results)
{
    Console.WriteLine($"[{r.Variant.Name}] makespan ratio {r.Makespan / scriptMakespan:F3} (target <= 1.10), overhead p50 {P(r.Overheads.Select(o => o.Ms), 0.5):F0} ms "
        + $"(target <= 150 ms; {P(WithGate(r), 0.5):F0} ms counting the gate's round trip)");
}
return results.All(r => r.Makespan / scriptMakespan <= 1.10 && P(r.Overheads.Select(o => o.Ms), 0.5) <= 150) ? 0 : 2;

internal readonly record struct Cpu(TimeSpan Process, TimeSpan Azurite, TimeSpan Helm)
{
    public TimeSpan Total => Process + Azurite + Helm;

    /// <summary>CPU used so far by this process, by Azurite, and by this process's finished (waited-for) children: helm.</summary>
    public static Cpu Now(Process self, AzuriteServer azurite)
    {
        self.Refresh();
        var fields = File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var childTicks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return new Cpu(self.TotalProcessorTime, azurite.ProcessorTime, TimeSpan.FromSeconds(childTicks / 100.0));
    }

    public static Cpu operator -(Cpu a, Cpu b) => new(a.Process - b.Process, a.Azurite - b.Azurite, a.Helm - b.Helm);
}

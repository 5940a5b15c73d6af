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
Console.WriteLine($"script: {scriptMakespan.TotalSeconds:F1} s");

// 2. The control plane, in this process.
var port = FreePort.Next();
var builder = SelfHost.CreateBuilder([], Repo.Root, typeof(StoreActivities).Assembly.GetTypes());
var planeSettings = new Dictionary<string, string>
{
    ["urls"] = $"http://127.0.0.1:{port}",
    ["AzureWebJobsStorage"] = azurite.ConnectionString,
    ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = "bench" + Guid.NewGuid().ToString("N")[..8],
    ["Auth:AdminKey"] = "bench-admin-key",
    ["Logging:LogLevel:Default"] = "Warning",
    ["Urumi:Cluster:Mode"] = "Kubeconfig",
    ["Urumi:Cluster:Kubeconfig"] = sim.KubeconfigPath,
    ["Urumi:Helm:Path"] = helm,
    ["Urumi:Provisioning:MaxConcurrent"] = concurrency.ToString(CultureInfo.InvariantCulture),
    ["Urumi:MaxActiveStoresPerOwner"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
    ["Urumi:RateLimit:PermitLimit"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
};
builder.Configuration.AddInMemoryCollection(planeSettings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
builder.Services.AddUrumiOptions(builder.Configuration).AddCluster().AddHelm().AddStoreRegistry(builder.Configuration).AddGuardrails().AddProvisioning().AddAudit();
await using var app = builder.Build();
await app.StartAsync();
var metrics = app.Services.GetRequiredService<ProvisioningMetrics>();
var durable = app.Services.GetRequiredService<DurableTaskClient>();
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
http.DefaultRequestHeaders.Add("x-functions-key", "bench-admin-key");

var done = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
TaskCompletionSource Done(string id) => done.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
metrics.Completed += t => Done(t.StoreId).TrySetResult();
// POST /api/stores; returns the new store's id.
async Task<string> PostStoreAsync(string name, CancellationToken ct)
{
    var response = await http.PostAsJsonAsync("/api/stores", new { name, engine = "woocommerce" }, ct);
    var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
    if ((int)response.StatusCode != 202)
    {
        throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {body}");
    }
    return body.GetProperty("store").GetProperty("id").GetString()!;
}
await Done(await PostStoreAsync("warmup", CancellationToken.None)).Task.WaitAsync(TimeSpan.FromMinutes(5));

cpuBefore = Cpu.Now(self, azurite);
var posted = new Dictionary<string, long>();
var planeStart = Stopwatch.GetTimestamp();
await Parallel.ForEachAsync(Enumerable.Range(1, stores), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
{
    var at = Stopwatch.GetTimestamp();
    var id = await PostStoreAsync($"store{i}", ct);
    lock (posted)
    {
        posted[id] = at;
    }
    if (!burst)
    {
        await Done(id).Task.WaitAsync(ct);
    }
});
await Task.WhenAll(posted.Keys.Select(id => Done(id).Task)).WaitAsync(TimeSpan.FromMinutes(30));
var planeMakespan = Stopwatch.GetElapsedTime(planeStart, posted.Keys.Max(id => metrics.Get(id)!.CompletedTimestamp!.Value));
var planeCpu = Cpu.Now(self, azurite) - cpuBefore;
var outcomes = posted.Keys.GroupBy(id => metrics.Get(id)!.Outcome).ToDictionary(g => g.Key ?? "?", g => g.Count());
Console.WriteLine($"control plane: {planeMakespan.TotalSeconds:F1} s ({string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))})");

// Overhead per store: the slot wait is read from the history (RecordStore done, Granted raised).
var overheads = new List<(string Id, double Ms, bool Queued)>();
var grantedAt = new Dictionary<string, DateTimeOffset>();
var completedAt = new Dictionary<string, DateTimeOffset>();
var histories = new Dictionary<string, IList<HistoryEvent>>();
foreach (var (id, at) in posted)
{
    var t = metrics.Get(id)!;
    var history = histories[id] = await durable.GetOrchestrationHistoryAsync(Store.ProvisionInstanceId(id, 1));
    var recorded = Completion(history, nameof(StoreActivities.RecordStore));
    var granted = history.OfType<EventRaisedEvent>().First(e => e.Name == ProvisioningGate.GrantedEvent).Timestamp;
    var slotWait = granted - recorded;
    grantedAt[id] = new DateTimeOffset(granted, TimeSpan.Zero);
    completedAt[id] = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(t.CompletedTimestamp!.Value);
    var endToEnd = Stopwatch.GetElapsedTime(at, t.CompletedTimestamp!.Value);
    var queued = slotWait > TimeSpan.FromMilliseconds(500);
    overheads.Add((id, (endToEnd - t.Helm - t.Kubernetes - (queued ? slotWait : TimeSpan.Zero)).TotalMilliseconds, queued));
}
// Where the time between the POST and Ready goes, phase by phase, from the histories (median and p90 over the
// stores): each activity from the step that scheduled it to the history event of its result (the queue round trips
// and the activity itself).
var phases = new Dictionary<string, List<double>>();
foreach (var (id, at) in posted)
{
    var history = histories[id];
    var postedAt = DateTime.UtcNow - Stopwatch.GetElapsedTime(at);
    var ready = DateTime.UtcNow - Stopwatch.GetElapsedTime(metrics.Get(id)!.CompletedTimestamp!.Value);
    const string record = nameof(StoreActivities.RecordStore), prepare = nameof(StoreActivities.PrepareNamespace),
        install = nameof(StoreActivities.InstallRelease), verify = nameof(StoreActivities.VerifyRollout);
    foreach (var (phase, span) in new (string, TimeSpan)[]
    {
        ("POST to RecordStore scheduled (claims, start)", Scheduled(history, record) - postedAt),
        ("RecordStore", Completion(history, record) - Scheduled(history, record)),
        ("PrepareNamespace, from the grant", Completion(history, prepare) - Scheduled(history, prepare)),
        ("InstallRelease (with helm)", Completion(history, install) - Scheduled(history, install)),
        ("  of which not in helm", Completion(history, install) - Scheduled(history, install) - metrics.Get(id)!.Helm),
        ("VerifyRollout", Completion(history, verify) - Scheduled(history, verify)),
        ("VerifyRollout done to Ready written", ready - Completion(history, verify)),
    })
    {
        (phases.TryGetValue(phase, out var list) ? list : phases[phase] = []).Add(span.TotalMilliseconds);
    }
}
Console.WriteLine("phase (ms)                                      p50      p90");
foreach (var (phase, values) in phases)
{
    Console.WriteLine($"  {phase,-44} {P(values, 0.5),6:F0}   {P(values, 0.9),6:F0}");
}
await app.StopAsync();

// Each helm install's interval, from the simulator's record of writes to Helm's release Secrets (pending-install, then
// deployed): how long helm itself took in each run, and, for the control plane, what came before and after it.
(DateTimeOffset Start, DateTimeOffset End) InstallOf(string id)
{
    var (started, ended) = sim.Server.Operations.HelmInstall(id, id);
    return (started.At, ended.At);
}
// When the step that scheduled activity <name> ran, and when its result was recorded.
static DateTime Scheduled(IList<HistoryEvent> history, string name) => history.OfType<TaskScheduledEvent>().First(e => e.Name == name).Timestamp;
static DateTime Completion(IList<HistoryEvent> history, string name)
{
    var id = history.OfType<TaskScheduledEvent>().First(e => e.Name == name).EventId;
    return history.OfType<TaskCompletedEvent>().First(e => e.TaskScheduledId == id).Timestamp;
}
double MeanMs(IEnumerable<TimeSpan> spans) => Math.Round(spans.Average(t => t.TotalMilliseconds), 0);
var scriptInstalls = scriptIds.Select(InstallOf).ToList();
var planeInstalls = posted.Keys.ToDictionary(id => id, InstallOf);

double PerStore(TimeSpan cpu) => Math.Round(cpu.TotalMilliseconds / stores, 1);

double P(IEnumerable<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
}
var ratio = planeMakespan / scriptMakespan;
var p50 = P(overheads.Select(o => o.Ms), 0.5);
var p50Unqueued = P(overheads.Where(o => !o.Queued).Select(o => o.Ms), 0.5);
var report = new
{
    measuredAt = DateTimeOffset.UtcNow,
    machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
    loadAverage = new { before = loadBefore, after = LoadAverage.Read() },
    settings = EffectiveSettings.Of(Repo.Root, planeSettings),
    stores,
    concurrency,
    mode = burst ? "burst: all posted at once, the provisioning gate queues them" : "paced: the client keeps `concurrency` stores in flight, as xargs -P does",
    helm = helmTool,
    scriptMakespanSeconds = Math.Round(scriptMakespan.TotalSeconds, 2),
    controlPlaneMakespanSeconds = Math.Round(planeMakespan.TotalSeconds, 2),
    makespanRatio = Math.Round(ratio, 3),
    makespanTarget = 1.10,
    overheadP50Ms = Math.Round(p50, 1),
    overheadP90Ms = Math.Round(P(overheads.Select(o => o.Ms), 0.9), 1),
    overheadP50UnqueuedMs = Math.Round(p50Unqueued, 1),
    overheadTargetMs = 150,
    queuedStores = overheads.Count(o => o.Queued),
    outcomes,
    // CPU per store in each run: helm (the finished child processes), this process (KubeSim, and in the second run
    // the control plane) and Azurite; and how busy the machine's cores were.
    cpuMsPerStore = new
    {
        script = new { helm = PerStore(scriptCpu.Helm), process = PerStore(scriptCpu.Process), azurite = PerStore(scriptCpu.Azurite) },
        controlPlane = new { helm = PerStore(planeCpu.Helm), process = PerStore(planeCpu.Process), azurite = PerStore(planeCpu.Azurite) },
    },
    coresBusy = new { script = Math.Round(scriptCpu.Total / scriptMakespan, 2), controlPlane = Math.Round(planeCpu.Total / planeMakespan, 2) },
    // Mean milliseconds per store: the helm install as the cluster saw it, in each run; for the control plane, from
    // the slot's grant to helm's first write, and from helm's last write to Ready.
    installMs = new { script = MeanMs(scriptInstalls.Select(i => i.End - i.Start)), controlPlane = MeanMs(planeInstalls.Values.Select(i => i.End - i.Start)) },
    grantedToInstallMs = MeanMs(grantedAt.Select(g => planeInstalls[g.Key].Start - g.Value)),
    installToReadyMs = MeanMs(posted.Keys.Select(id => completedAt[id] - planeInstalls[id].End)),
};
var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
Directory.CreateDirectory(Path.Combine(Repo.Root, "bench", "results"));
File.WriteAllText(Path.Combine(Repo.Root, "bench", "results", burst ? "functions-burst.json" : "functions.json"), json);
Console.WriteLine(json);
Console.WriteLine($"makespan ratio {ratio:F3} (target <= 1.10), overhead p50 {p50:F0} ms (target <= 150 ms)");
return ratio <= 1.10 && p50 <= 150 ? 0 : 2;

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

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Urumi.Bench;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.Hosting;
using Urumi.KubeSim.Testing;
using Urumi.Testing;

namespace Urumi.Functions.Bench;

/// <summary>A set of durable settings to run the control plane with: a name and host.json overrides under extensions:durableTask.</summary>
internal sealed record Variant(string Name, IReadOnlyDictionary<string, string> DurableSettings)
{
    public static Variant Shipped { get; } = new("shipped", new Dictionary<string, string>());

    /// <summary>"name:key=value,key=value", keys relative to extensions:durableTask (storageProvider:partitionCount=8).</summary>
    public static Variant Parse(string text)
    {
        var (name, rest) = text.Split(':', 2) is [var n, var r] ? (n, r) : (text, "");
        var settings = rest.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Split('=', 2))
            .ToDictionary(s => s[0], s => s.Length > 1 ? s[1] : throw new ArgumentException($"--variant {text}: '{s[0]}' has no value"));
        return new Variant(name, settings);
    }
}

/// <summary>One control-plane run's measurements.</summary>
internal sealed record PlaneResult(
    Variant Variant,
    TimeSpan Makespan,
    IReadOnlyDictionary<string, int> Outcomes,
    List<(string Id, double Ms, bool Queued)> Overheads,
    Dictionary<string, List<double>> Phases,
    Dictionary<string, List<double>> Breakdown,
    Dictionary<string, object> Engine,
    Cpu Cpu,
    double InstallMeanMs,
    Dictionary<string, string> Settings,
    string LoadBefore,
    string LoadAfter);

/// <summary>
/// The control plane in this process (the same function classes and Urumi.Hosting's worker as the app) on the shared
/// Azurite and KubeSim: N stores, C in flight (paced) or all at once (burst), with one variant's durable settings and
/// its own task hub. Besides the end-to-end figures it traces, per store, where the time between the POST and Ready
/// goes: orchestrator episodes (history read, replay and decide, history append), each activity's wait in the
/// work-item queue and its run, each result's wait for the next episode, the gate's round trip, and the Azurite
/// requests of the whole run.
/// </summary>
internal static class PlaneRun
{
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(15);

    public static async Task<PlaneResult> RunAsync(Variant variant, int index, AzuriteServer azurite, Sim sim, string helm, int stores, int concurrency, bool burst)
    {
        var loadBefore = LoadAverage.Read();
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
            ["Urumi:MaxActiveStoresPerOwner"] = (stores + concurrency + 2).ToString(CultureInfo.InvariantCulture),
            ["Urumi:RateLimit:PermitLimit"] = (stores + concurrency + 2).ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in variant.DurableSettings)
        {
            planeSettings["AzureFunctionsJobHost:extensions:durableTask:" + key] = value;
        }
        builder.Configuration.AddInMemoryCollection(planeSettings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.Services.AddUrumiOptions(builder.Configuration).AddCluster().AddHelm().AddStoreRegistry(builder.Configuration).AddGuardrails().AddProvisioning().AddAudit();
        var trace = new DurableTrace();
        builder.Logging.AddProvider(trace);
        // Its own filter: the engine's events reach the trace whatever host.json's levels are for the app's loggers.
        builder.Logging.AddFilter<DurableTrace>("DurableTask", LogLevel.Trace);
        using var requests = new StorageRequests(azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        await using var app = builder.Build();
        await app.StartAsync();
        var metrics = app.Services.GetRequiredService<ProvisioningMetrics>();
        var durable = app.Services.GetRequiredService<DurableTaskClient>();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Add("x-functions-key", "bench-admin-key");

        var done = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource Done(string id) => done.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        metrics.Completed += t => Done(t.StoreId).TrySetResult();
        async Task<string> PostStoreAsync(string name, CancellationToken ct)
        {
            var response = await http.PostAsJsonAsync("/api/stores", new { name, engine = "woocommerce" }, ct);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
            return (int)response.StatusCode == 202
                ? body.GetProperty("store").GetProperty("id").GetString()!
                : throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {body}");
        }
        // Untimed stores first, as many at once as the timed run has in flight: JIT (tiered compilation promotes a
        // method only after it has run a while, and one store leaves the concurrent paths cold), connections, the
        // gate's first start. A control plane is a long-running service.
        await Task.WhenAll(await Task.WhenAll(Enumerable.Range(1, concurrency).Select(async w =>
            Done(await PostStoreAsync($"v{index}warmup{w}", CancellationToken.None)).Task.WaitAsync(TimeSpan.FromMinutes(5)))));

        // Idle: what the worker costs with nothing to do (queue polling, lease renewals), the price of a short
        // maxQueuePollingInterval. The first seconds after the warm-up are left out, while the polls back off.
        var self = Process.GetCurrentProcess();
        await Task.Delay(TimeSpan.FromSeconds(5));
        requests.Reset();
        var idleBefore = Cpu.Now(self, azurite);
        await Task.Delay(IdleWindow);
        var idleCpu = Cpu.Now(self, azurite) - idleBefore;
        var idleRequests = requests.Snapshot().Values.Sum(r => r.Count);
        var cpuBefore = Cpu.Now(self, azurite);
        requests.Reset();
        trace.Recording = true;
        var posted = new Dictionary<string, DateTime>();
        var planeStart = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(1, stores), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var at = DateTime.UtcNow;
            var id = await PostStoreAsync($"v{index}store{i}", ct);
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
        var makespan = Stopwatch.GetElapsedTime(planeStart, posted.Keys.Max(id => metrics.Get(id)!.CompletedTimestamp!.Value));
        var cpu = Cpu.Now(self, azurite) - cpuBefore;
        trace.Recording = false;
        var storage = requests.Snapshot();
        var outcomes = posted.Keys.GroupBy(id => metrics.Get(id)!.Outcome).ToDictionary(g => g.Key ?? "?", g => g.Count());

        var histories = new Dictionary<string, IList<HistoryEvent>>();
        foreach (var id in posted.Keys)
        {
            histories[id] = await durable.GetOrchestrationHistoryAsync(Store.ProvisionInstanceId(id, 1));
        }
        await app.StopAsync();

        DateTime ReadyAt(string id) => DateTime.UtcNow - Stopwatch.GetElapsedTime(metrics.Get(id)!.CompletedTimestamp!.Value);
        var overheads = new List<(string Id, double Ms, bool Queued)>();
        var phases = new Dictionary<string, List<double>>();
        var breakdown = new Dictionary<string, List<double>>();
        var entries = trace.Entries;
        var byInstance = entries.GroupBy(e => e.Instance).ToDictionary(g => g.Key, g => g.OrderBy(e => e.At).ToList());
        foreach (var (id, at) in posted)
        {
            var t = metrics.Get(id)!;
            var history = histories[id];
            var ready = ReadyAt(id);
            var slotWait = Granted(history) - Completion(history, nameof(StoreActivities.ApplyStoreEvent));
            var queued = slotWait > TimeSpan.FromMilliseconds(500);
            overheads.Add((id, (ready - at - t.Helm - t.Kubernetes - (queued ? slotWait : TimeSpan.Zero)).TotalMilliseconds, queued));
            AddPhases(phases, history, at, ready, t);
            AddBreakdown(breakdown, history, byInstance.GetValueOrDefault(Store.ProvisionInstanceId(id, 1)) ?? [], at, ready, t, queued ? slotWait : TimeSpan.Zero);
        }
        var engine = EngineFigures(entries, storage, posted.Count);
        engine["idleAzuriteRequestsPerSecond"] = Math.Round(idleRequests / IdleWindow.TotalSeconds, 1);
        engine["idleCpuMsPerSecond"] = new
        {
            process = Math.Round(idleCpu.Process.TotalMilliseconds / IdleWindow.TotalSeconds, 1),
            azurite = Math.Round(idleCpu.Azurite.TotalMilliseconds / IdleWindow.TotalSeconds, 1),
        };
        // Each helm install as the cluster saw it (its first and last write of the release Secret).
        var installMs = Math.Round(posted.Keys.Select(id => sim.Server.Operations.HelmInstall(id, id)).Average(i => (i.Item2.At - i.Item1.At).TotalMilliseconds), 0);
        return new PlaneResult(variant, makespan, outcomes, overheads, phases, breakdown, engine, cpu, installMs,
            EffectiveSettings.Of(Repo.Root, planeSettings.Where(s => s.Key.StartsWith("AzureFunctionsJobHost", StringComparison.Ordinal))
                .ToDictionary(s => s.Key, s => s.Value)), loadBefore, LoadAverage.Read());
    }

    // Each activity from the step that scheduled it to the history event of its result (queue round trips and the run).
    private static void AddPhases(Dictionary<string, List<double>> phases, IList<HistoryEvent> history, DateTime posted, DateTime ready, Provisioning.StoreTimings t)
    {
        const string record = nameof(StoreActivities.ApplyStoreEvent), prepare = nameof(StoreActivities.PrepareNamespace),
            install = nameof(StoreActivities.InstallRelease), verify = nameof(StoreActivities.VerifyRollout);
        foreach (var (phase, span) in new (string, TimeSpan)[]
        {
            ("POST to the Accepted event scheduled (claims, start)", Scheduled(history, record) - posted),
            ("ApplyStoreEvent (Accepted)", Completion(history, record) - Scheduled(history, record)),
            ("Accepted event done to the grant (gate)", Granted(history) - Completion(history, record)),
            ("the grant to PrepareNamespace scheduled", Scheduled(history, prepare) - Granted(history)),
            ("PrepareNamespace", Completion(history, prepare) - Scheduled(history, prepare)),
            ("InstallRelease (with helm)", Completion(history, install) - Scheduled(history, install)),
            ("  of which not in helm", Completion(history, install) - Scheduled(history, install) - t.Helm),
            ("VerifyRollout", Completion(history, verify) - Scheduled(history, verify)),
            ("VerifyRollout done to Ready written", ready - Completion(history, verify)),
        })
        {
            Add(phases, phase, span.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Where the store's time went, from the engine's logs: the sums over its episodes and activities, so that the rows
    /// (besides "of which" rows) add up to its end to end minus helm and Kubernetes calls, the overhead.
    /// </summary>
    private static void AddBreakdown(Dictionary<string, List<double>> breakdown, IList<HistoryEvent> history, List<TraceEntry> trace,
        DateTime posted, DateTime ready, Provisioning.StoreTimings t, TimeSpan slotWait)
    {
        var executing = trace.Where(e => e.EventId == DurableTrace.OrchestrationExecuting && e.At <= ready).Select(e => e.At).ToList();
        var executed = trace.Where(e => e.EventId == DurableTrace.OrchestrationExecuted && e.At <= ready).Select(e => e.At).ToList();
        var fetched = trace.Where(e => e.EventId == DurableTrace.FetchedHistory && e.At <= ready).ToList();
        var activityMs = 0.0;
        var queueMs = 0.0;
        var resultMs = 0.0;
        foreach (var scheduled in history.OfType<TaskScheduledEvent>())
        {
            var started = trace.FirstOrDefault(e => e.EventId == DurableTrace.ActivityStarting && e.Number("TaskEventId") == scheduled.EventId);
            var completed = trace.LastOrDefault(e => e.EventId == DurableTrace.ActivityCompleted && e.Number("TaskEventId") == scheduled.EventId);
            if (started is null || completed is null || completed.At > ready)
            {
                continue;
            }
            queueMs += (started.At - scheduled.Timestamp).TotalMilliseconds;
            activityMs += (completed.At - started.At).TotalMilliseconds;
            var next = executing.FirstOrDefault(e => e > completed.At);
            if (next != default && scheduled.Name != nameof(StoreActivities.VerifyRollout))
            {
                // From the activity's end to the start of the episode that reads its result (the history read included).
                resultMs += (next - completed.At).TotalMilliseconds;
            }
        }
        var recorded = Completion(history, nameof(StoreActivities.ApplyStoreEvent));
        var gateFrom = executed.FirstOrDefault(e => e > recorded);
        var gateTo = executing.FirstOrDefault(e => e > gateFrom);
        var episodesMs = executing.Zip(executed, (a, b) => (b - a).TotalMilliseconds).Sum();
        Add(breakdown, "end to end, POST to Ready", (ready - posted).TotalMilliseconds);
        Add(breakdown, "  helm + Kubernetes calls (in activities)", (t.Helm + t.Kubernetes).TotalMilliseconds);
        Add(breakdown, "  waiting for a slot (counted when > 500 ms)", slotWait.TotalMilliseconds);
        Add(breakdown, "POST to the first episode (HTTP, claims, start message)", (executing.FirstOrDefault(posted) - posted).TotalMilliseconds);
        Add(breakdown, "episodes: count", executing.Count);
        Add(breakdown, "episodes: replay and decide (sum)", episodesMs);
        Add(breakdown, "episodes: history reads (sum of latency)", fetched.Sum(e => e.Number("LatencyMs")));
        Add(breakdown, "episodes: history events read (sum)", fetched.Sum(e => e.Number("EventCount")));
        Add(breakdown, "activities: scheduled to started (append, work-item queue)", queueMs);
        Add(breakdown, "activities: run, outside helm and Kubernetes", activityMs - (t.Helm + t.Kubernetes).TotalMilliseconds);
        Add(breakdown, "results: activity end to the next episode (control queue)", resultMs);
        Add(breakdown, "gate: acquire episode done to the granted episode", gateTo == default || gateFrom == default ? double.NaN : (gateTo - gateFrom).TotalMilliseconds);
    }

    private static Dictionary<string, object> EngineFigures(IReadOnlyList<TraceEntry> entries, IReadOnlyDictionary<string, (long Count, double Seconds)> storage, int stores)
    {
        var gate = entries.Where(e => e.Instance == ProvisioningGate.InstanceId).ToList();
        var fetched = entries.Where(e => e.EventId == DurableTrace.FetchedHistory).ToList();
        return new Dictionary<string, object>
        {
            ["azuriteRequestsPerStore"] = storage.ToDictionary(s => s.Key, s => Math.Round(s.Value.Count / (double)stores, 1)),
            ["azuriteRequestsPerStoreTotal"] = Math.Round(storage.Values.Sum(s => s.Count) / (double)stores, 1),
            ["azuriteRequestMeanMs"] = storage.Values.Sum(s => s.Count) == 0 ? 0 : Math.Round(1000 * storage.Values.Sum(s => s.Seconds) / storage.Values.Sum(s => s.Count), 2),
            ["episodesPerStore"] = Math.Round(entries.Count(e => e.EventId == DurableTrace.OrchestrationExecuted && e.Instance != ProvisioningGate.InstanceId) / (double)stores, 2),
            ["gateEpisodesPerStore"] = Math.Round(gate.Count(e => e.EventId == DurableTrace.OrchestrationExecuted) / (double)stores, 2),
            ["historyReads"] = fetched.Count,
            ["historyReadsOfTheGate"] = fetched.Count(e => e.Instance == ProvisioningGate.InstanceId),
            ["historyEventsReadPerStore"] = Math.Round(fetched.Sum(e => e.Number("EventCount")) / (double)stores, 1),
            ["historyEventsReadPerGateRead"] = Math.Round(fetched.Where(e => e.Instance == ProvisioningGate.InstanceId).Select(e => (double)e.Number("EventCount")).DefaultIfEmpty().Average(), 1),
            ["activitiesPerStore"] = Math.Round(entries.Count(e => e.EventId == DurableTrace.ActivityStarting) / (double)stores, 2),
        };
    }

    private static void Add(Dictionary<string, List<double>> table, string row, double value) =>
        (table.TryGetValue(row, out var list) ? list : table[row] = []).Add(value);

    private static DateTime Granted(IList<HistoryEvent> history) =>
        history.OfType<EventRaisedEvent>().First(e => e.Name == ProvisioningGate.GrantedEvent).Timestamp;

    // When the step that scheduled activity <name> ran, and when its result was recorded.
    private static DateTime Scheduled(IList<HistoryEvent> history, string name) => history.OfType<TaskScheduledEvent>().First(e => e.Name == name).Timestamp;

    private static DateTime Completion(IList<HistoryEvent> history, string name)
    {
        var id = history.OfType<TaskScheduledEvent>().First(e => e.Name == name).EventId;
        return history.OfType<TaskCompletedEvent>().First(e => e.TaskScheduledId == id).Timestamp;
    }
}

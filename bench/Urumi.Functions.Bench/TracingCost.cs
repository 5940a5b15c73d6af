using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Bench;
using Urumi.KubeSim;
using Urumi.KubeSim.Testing;
using Urumi.Testing;

namespace Urumi.Functions.Bench;

/// <summary>
/// --tracing: what tracing costs per store, both modes side by side in one run on one Azurite and one KubeSim. The
/// control plane runs as its own process (as shipped: Program.cs with AddTelemetry) in rounds that alternate
/// off / on / off / on (so a change in the machine's load hits both modes alike), each round on a fresh task hub
/// with one warm-up store, then <c>--stores</c> (10) stores paced at <c>--concurrency</c> (5). "on" sets
/// OTEL_EXPORTER_OTLP_ENDPOINT to a sink in this process that accepts and drops (so the spans are built, batched,
/// serialized and sent); "off" sets nothing (no span is created). Per store: POST to Ready as the registry row says
/// it (createdAt to the Ready row's updatedAt), and the control plane process's CPU.
/// </summary>
internal static class TracingCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var stores = Option("--stores", 10);
        var concurrency = Option("--concurrency", 5);
        var rounds = Option("--rounds", 2);
        var loadBefore = LoadAverage.Read();
        await using var azurite = await AzuriteServer.StartAsync();
        await using var sim = await Sim.StartAsync(new KubeSimOptions());
        using var sink = new OtlpSink();
        Console.WriteLine($"tracing cost: {rounds} rounds of off/on, {stores} stores each, concurrency {concurrency}; load average {loadBefore}");

        var results = new Dictionary<string, List<(double EndToEndMs, double CpuMs)>> { ["off"] = [], ["on"] = [] };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in new[] { "off", "on" })
            {
                var settings = new Dictionary<string, string>
                {
                    ["Urumi__Cluster__Mode"] = "Kubeconfig",
                    ["Urumi__Cluster__Kubeconfig"] = sim.KubeconfigPath,
                    ["Urumi__Helm__Path"] = Repo.Tool("helm3"),
                    ["Urumi__Provisioning__MaxConcurrent"] = concurrency.ToString(CultureInfo.InvariantCulture),
                    ["Urumi__MaxActiveStoresPerOwner"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
                    ["Urumi__RateLimit__PermitLimit"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
                    ["Logging__LogLevel__Default"] = "Warning",
                };
                if (mode == "on")
                {
                    settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Endpoint;
                    settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                }
                var hub = $"trace{mode}{round}" + Guid.NewGuid().ToString("N")[..6];
                await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, hub, settings, Repo.FunctionsDll);
                await ProvisionAsync(app.Http, [$"warm{mode}{round}"], 1);
                var cpuBefore = app.ProcessorTime;
                var names = Enumerable.Range(1, stores).Select(i => $"s{mode}{round}n{i}").ToList();
                var durations = await ProvisionAsync(app.Http, names, concurrency);
                var cpuPerStore = (app.ProcessorTime - cpuBefore).TotalMilliseconds / stores;
                results[mode].AddRange(durations.Select(d => (d, cpuPerStore)));
                Console.WriteLine($"round {round} tracing {mode}: POST to Ready p50 {P(durations, 0.5):F0} ms, CPU {cpuPerStore:F0} ms per store; sink has {sink.Requests} requests, {sink.Bytes} bytes");
            }
        }

        var report = new
        {
            measuredAt = DateTimeOffset.UtcNow,
            machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
            loadAverage = new { before = loadBefore, after = LoadAverage.Read() },
            stores,
            concurrency,
            rounds,
            modes = results.ToDictionary(r => r.Key, r => new
            {
                postToReadyP50Ms = Math.Round(P(r.Value.Select(v => v.EndToEndMs).ToList(), 0.5), 0),
                postToReadyP90Ms = Math.Round(P(r.Value.Select(v => v.EndToEndMs).ToList(), 0.9), 0),
                postToReadyMeanMs = Math.Round(r.Value.Average(v => v.EndToEndMs), 0),
                cpuMsPerStore = Math.Round(r.Value.Average(v => v.CpuMs), 1),
            }),
            exported = new { requests = sink.Requests, bytes = sink.Bytes, bytesPerStore = sink.Bytes / Math.Max(1, rounds * (stores + 1)) },
        };
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        Directory.CreateDirectory(Path.Combine(Repo.Root, "bench", "results"));
        File.WriteAllText(Path.Combine(Repo.Root, "bench", "results", "functions-tracing.json"), json);
        Console.WriteLine(json);
        return 0;
    }

    /// <summary>Posts the stores, at most <paramref name="concurrency"/> in flight; each one's POST to Ready in ms, from its registry row.</summary>
    private static async Task<List<double>> ProvisionAsync(HttpClient http, IReadOnlyList<string> names, int concurrency)
    {
        var durations = new List<double>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (name, ct) =>
        {
            var response = await http.PostAsJsonAsync("/api/stores", new { name, engine = "woocommerce", plan = "small" }, ct);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {body}");
            }
            var id = (string)body["store"]!["id"]!;
            var store = await Eventually.Until(
                async () =>
                {
                    await Task.Delay(200, ct);
                    return JsonNode.Parse(await http.GetStringAsync($"/api/stores/{id}", ct))!;
                },
                s => (string?)s["phase"] is "Ready" or "Failed",
                TimeSpan.FromMinutes(5),
                $"store {id} to be provisioned");
            if ((string?)store["phase"] != "Ready")
            {
                throw new InvalidOperationException($"store {id} failed: {store["lastError"]}");
            }
            var ms = (store["updatedAt"]!.GetValue<DateTimeOffset>() - store["createdAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;
            lock (durations)
            {
                durations.Add(ms);
            }
        });
        return durations;
    }

    private static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
    }

    /// <summary>An OTLP/HTTP endpoint that accepts everything and keeps only counts.</summary>
    private sealed class OtlpSink : IDisposable
    {
        private readonly HttpListener _listener = new();
        private long _requests;
        private long _bytes;

        public OtlpSink()
        {
            Endpoint = $"http://127.0.0.1:{FreePort.Next()}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Endpoint { get; }

        public long Requests => Interlocked.Read(ref _requests);

        public long Bytes => Interlocked.Read(ref _bytes);

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    using var body = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(body);
                    Interlocked.Increment(ref _requests);
                    Interlocked.Add(ref _bytes, body.Length);
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
            }
        }

        public void Dispose() => _listener.Close();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using k8s;
using Urumi.Bench;
using Urumi.KubeSim;
using Urumi.KubeSim.Testing;
using Urumi.Testing;

namespace Urumi.Functions.Bench;

/// <summary>
/// Recovery of the control plane, run as processes (so one can be killed with SIGKILL) on Azurite and one KubeSim,
/// with the shipped durable settings (host.json and Urumi.Hosting's defaults):
/// <list type="bullet">
/// <item>--recovery: the only worker, <c>--stores</c> (50) posted at once (in parallel) with <c>--concurrency</c> (10) slots, is
/// killed while helm installs are in flight, then started again: the time from the restart to the last store Ready.</item>
/// <item>--failover: two workers on one task hub (each holding partitions), <c>--stores</c> (10, so none waits for a
/// slot) posted; one worker is killed while installs are in flight: the time from the kill to the last store Ready.</item>
/// </list>
/// Both then check that every store is Ready with exactly one helm release (release Secrets in KubeSim and `helm list`).
/// </summary>
internal static class Recovery
{
    public static async Task<int> RunAsync(string[] args, bool failover)
    {
        int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var stores = Option("--stores", failover ? 10 : 50);
        var concurrency = Option("--concurrency", 10);
        var loadBefore = LoadAverage.Read();
        Directory.CreateDirectory(Path.Combine(Repo.Root, "bench", "results"));
        await using var azurite = await AzuriteServer.StartAsync();
        await using var sim = await Sim.StartAsync(new KubeSimOptions());
        var hub = "recovery" + Guid.NewGuid().ToString("N")[..8];
        var settings = Settings(sim, stores, concurrency);
        // --setting NAME=VALUE: an app setting (environment variable) for the workers, e.g.
        // AzureFunctionsJobHost__extensions__durableTask__extendedSessionsEnabled=false, to compare against the shipped ones.
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--setting" && args[i + 1].Split('=', 2) is [var key, var value])
            {
                settings[key] = value;
            }
        }
        await using var first = await FunctionApp.StartAsync(azurite.ConnectionString, hub, settings, Repo.FunctionsDll);
        await using var second = failover ? await FunctionApp.StartAsync(azurite.ConnectionString, hub, settings, Repo.FunctionsDll) : null;
        var partitionOwners = failover ? await WaitForTwoPartitionOwnersAsync(azurite.ConnectionString, hub) : 1;
        Console.WriteLine(failover
            ? $"failover: two workers on task hub {hub} ({partitionOwners} partition owners), {stores} stores, {concurrency} slots; load average {loadBefore}"
            : $"recovery: one worker, {stores} stores, {concurrency} slots; load average {loadBefore}");

        // All posted at once (the gate queues what exceeds its slots), so that every store is in flight at the kill.
        var ids = await Task.WhenAll(Enumerable.Range(1, stores).Select(i => PostStoreAsync(first.Http, $"store{i}")));
        // Kill while helm runs: at least three releases pending-install (or all stores' installs begun, for few stores).
        var pendingAtKill = await Eventually.Until(() => PendingInstallsAsync(sim), n => n >= Math.Min(3, stores), TimeSpan.FromMinutes(3), "helm installs in flight");
        var readyAtKill = (await StoresAsync(first.Http)).Count(s => (string?)s["phase"] == "Ready");
        var killedAt = DateTimeOffset.UtcNow;
        first.Kill();
        Console.WriteLine($"killed the worker with {readyAtKill} stores Ready and {pendingAtKill} installs pending");

        HttpClient survivor;
        DateTimeOffset from;
        double listeningAfterMs = 0;
        if (second is null)
        {
            from = DateTimeOffset.UtcNow;
            await first.RestartAsync();
            listeningAfterMs = (DateTimeOffset.UtcNow - from).TotalMilliseconds;
            survivor = first.Http;
        }
        else
        {
            from = killedAt;
            survivor = second.Http;
        }
        var final = await SettledOrLastAsync(survivor, stores, TimeSpan.FromMinutes(Option("--deadline-minutes", 5)));
        var settled = final.Count == stores && final.All(s => (string?)s["phase"] is "Ready" or "Failed");
        var lastReady = final.Max(s => s["updatedAt"]!.GetValue<DateTimeOffset>());
        var seconds = settled ? (lastReady - from).TotalSeconds : double.NaN;
        var releases = await ReleasesAsync(sim);
        var helmList = JsonNode.Parse((await sim.RunAsync("helm3", "list", "--all-namespaces", "--all", "--output", "json")).EnsureSuccess().Stdout)!.AsArray();
        var notReady = final.Where(s => (string?)s["phase"] != "Ready")
            .Select(s => $"{s["id"]}: {s["phase"]}, step {s["step"]}, queuePosition {s["queuePosition"]}, updatedAt {s["updatedAt"]}, lastError {s["lastError"]}").ToList();
        var survivorOutput = (second ?? first).Output;
        File.WriteAllText(Path.Combine(Repo.Root, "bench", "results", failover ? "failover-app.log" : "recovery-app.log"), survivorOutput);
        var wrongReleases = ids.Where(id => releases.Count(r => r.Namespace == id) != 1).ToList();
        var target = failover ? 30 : 60;
        var report = new
        {
            measuredAt = DateTimeOffset.UtcNow,
            mode = failover ? "failover: two workers, one killed; from the kill to the last store Ready" : "recovery: the only worker killed and restarted; from the restart to the last store Ready",
            machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
            loadAverage = new { before = loadBefore, after = LoadAverage.Read() },
            stores,
            concurrency,
            partitionOwnersBeforeKill = partitionOwners,
            readyAtKill,
            pendingInstallsAtKill = pendingAtKill,
            restartListeningMs = Math.Round(listeningAfterMs),
            secondsToLastReady = settled ? Math.Round(seconds, 1) : (double?)null,
            targetSeconds = target,
            settled,
            phases = final.GroupBy(s => (string?)s["phase"] ?? "?").ToDictionary(g => g.Key, g => g.Count()),
            ready = final.Count(s => (string?)s["phase"] == "Ready"),
            notReady,
            releases = releases.Select(r => r.Namespace).Distinct().Count(),
            releaseRevisions = releases.Sum(r => r.Revisions),
            deployedReleases = releases.Count(r => r.Status == "deployed"),
            helmListReleases = helmList.Count,
            storesWithoutExactlyOneRelease = wrongReleases,
            settings = EffectiveSettings.Of(Path.GetDirectoryName(Repo.FunctionsDll)!, settings),
        };
        var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        File.WriteAllText(Path.Combine(Repo.Root, "bench", "results", failover ? "failover.json" : "recovery.json"), json);
        Console.WriteLine(json);
        Console.WriteLine($"{(failover ? "kill" : "restart")} to last Ready: {seconds:F1} s (target <= {target} s); {report.ready}/{stores} Ready; "
            + $"{report.releases} releases ({report.releaseRevisions} revisions, {report.deployedReleases} deployed; helm list {helmList.Count}); stores without exactly one release: {wrongReleases.Count}");
        return notReady.Count == 0 && wrongReleases.Count == 0 && helmList.Count == stores ? 0 : 1;
    }

    /// <summary>The control plane's settings: the shipped durable settings, this KubeSim, the pinned helm, and limits that admit the run.</summary>
    private static Dictionary<string, string> Settings(Sim sim, int stores, int concurrency) => new()
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["Urumi__Cluster__Mode"] = "Kubeconfig",
        ["Urumi__Cluster__Kubeconfig"] = sim.KubeconfigPath,
        ["Urumi__Helm__Path"] = Repo.Tool("helm3"),
        ["Urumi__Provisioning__MaxConcurrent"] = concurrency.ToString(CultureInfo.InvariantCulture),
        ["Urumi__MaxActiveStoresPerOwner"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
        ["Urumi__RateLimit__PermitLimit"] = (stores + 2).ToString(CultureInfo.InvariantCulture),
        ["TMPDIR"] = sim.Directory,
    };

    private static async Task<string> PostStoreAsync(HttpClient http, string name)
    {
        var response = await http.PostAsJsonAsync("/api/stores", new { name, engine = "woocommerce" });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        return (int)response.StatusCode == 202
            ? (string)body!["store"]!["id"]!
            : throw new InvalidOperationException($"POST /api/stores answered {(int)response.StatusCode}: {body}");
    }

    private static async Task<List<JsonNode>> StoresAsync(HttpClient http)
    {
        await Task.Delay(250);
        var body = JsonNode.Parse(await http.GetStringAsync("/api/stores?limit=200"))!;
        return [.. body["items"]!.AsArray().Select(s => s!)];
    }

    /// <summary>The stores once all are Ready or Failed, or as they are when <paramref name="deadline"/> has passed.</summary>
    private static async Task<List<JsonNode>> SettledOrLastAsync(HttpClient http, int stores, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            var all = await StoresAsync(http);
            if (all.Count == stores && all.All(s => (string?)s["phase"] is "Ready" or "Failed") || DateTime.UtcNow > until)
            {
                return all;
            }
        }
    }

    private static async Task<int> PendingInstallsAsync(Sim sim)
    {
        await Task.Delay(100);
        var secrets = await sim.Client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: "owner=helm,status=pending-install");
        return secrets.Items.Count;
    }

    private sealed record Release(string Namespace, string Name, int Revisions, string Status);

    /// <summary>Helm's releases as its release Secrets in the cluster say: one per (namespace, name), with its latest status.</summary>
    private static async Task<List<Release>> ReleasesAsync(Sim sim)
    {
        var secrets = await sim.Client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: "owner=helm");
        return [.. secrets.Items
            .GroupBy(s => (s.Metadata.NamespaceProperty, Name: s.Metadata.Labels["name"]))
            .Select(g => new Release(g.Key.NamespaceProperty, g.Key.Name, g.Count(),
                g.OrderBy(s => int.Parse(s.Metadata.Labels["version"], CultureInfo.InvariantCulture)).Last().Metadata.Labels["status"]))];
    }

    /// <summary>Waits until two workers hold partition leases (DurableTask.AzureStorage's table partition manager).</summary>
    private static async Task<int> WaitForTwoPartitionOwnersAsync(string connectionString, string hub)
    {
        var table = new TableClient(connectionString, hub + "Partitions");
        var owners = await Eventually.Until(
            async () =>
            {
                await Task.Delay(250);
                try
                {
                    var owners = new HashSet<string>();
                    await foreach (var lease in table.QueryAsync<TableEntity>())
                    {
                        if (lease.GetString("CurrentOwner") is { Length: > 0 } owner)
                        {
                            owners.Add(owner);
                        }
                    }
                    return owners.Count;
                }
                catch (Azure.RequestFailedException)
                {
                    return 0;
                }
            },
            n => n >= 2, TimeSpan.FromMinutes(2), "both workers to hold partitions");
        return owners;
    }
}

using System.Diagnostics;
using k8s;
using k8s.Models;
using Urumi.KubeSim;

// KubeSim's rates for GET and LIST through KubernetesClient, and its memory with 10,000 objects.
// Runs the simulator in a child process (this program re-executed with "serve") so that its memory is its own.
// Usage: dotnet run -c Release --project bench/Urumi.KubeSim.Bench [-- --objects 10000 --seconds 10 --clients 8]
if (args is ["serve", var portText])
{
    await using var server = await KubeSimServer.StartAsync(new KubeSimOptions { Port = int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture) });
    Console.WriteLine($"ready {server.Url}");
    await server.WaitForShutdownAsync();
    return 0;
}

int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
var objects = Option("--objects", 10_000);
var seconds = Option("--seconds", 10);
var clients = Option("--clients", 8);

var port = Random.Shared.Next(20000, 40000);
var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
start.ArgumentList.Add("serve");
start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
using var simulator = Process.Start(start)!;
try
{
    var ready = await simulator.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the simulator did not start");
    var url = ready["ready ".Length..];
    using var client = new Kubernetes(new KubernetesClientConfiguration { Host = url });
    simulator.Refresh();
    var baseline = simulator.WorkingSet64;

    // 10,000 ConfigMaps across 20 namespaces, each with a few labels and 1 KB of data, created with 8 clients.
    var namespaces = Enumerable.Range(0, 20).Select(i => $"bench-{i}").ToArray();
    foreach (var ns in namespaces)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
    }

    var payload = new string('x', 1024);
    var create = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (i, ct) =>
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = $"cm-{i}", Labels = new Dictionary<string, string> { ["app"] = $"app-{i % 50}", ["tier"] = i % 2 == 0 ? "web" : "db" } },
            Data = new Dictionary<string, string> { ["payload"] = payload },
        }, namespaces[i % namespaces.Length], cancellationToken: ct));
    create.Stop();
    GC.Collect();
    await Task.Delay(1000);
    simulator.Refresh();
    var loaded = simulator.WorkingSet64;

    async Task<(long Count, double PerSecond)> Measure(Func<int, Task> call)
    {
        long count = 0;
        var until = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async worker =>
        {
            var n = worker;
            while (until.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await call(n);
                n += clients;
                Interlocked.Increment(ref count);
            }
        }));
        return (count, count / until.Elapsed.TotalSeconds);
    }

    var gets = await Measure(n => client.CoreV1.ReadNamespacedConfigMapAsync($"cm-{n % objects}", namespaces[n % objects % namespaces.Length]));
    var lists = await Measure(n => client.CoreV1.ListNamespacedConfigMapAsync(namespaces[n % namespaces.Length], labelSelector: $"app=app-{n % 50}"));
    var pages = await Measure(n => client.CoreV1.ListConfigMapForAllNamespacesAsync(limit: 500));
    simulator.Refresh();
    var peak = simulator.PeakWorkingSet64;

    Console.WriteLine($"KubeSim benchmark ({Environment.ProcessorCount} cores, {clients} concurrent KubernetesClient callers, {seconds} s per figure)");
    Console.WriteLine($"| figure | measured | target |");
    Console.WriteLine($"|---|---|---|");
    Console.WriteLine($"| create {objects} ConfigMaps (1 KB each, 20 namespaces) | {objects / create.Elapsed.TotalSeconds:F0} creates/s | |");
    Console.WriteLine($"| GET one object | {gets.PerSecond:F0} GETs/s | >= 2,000 |");
    Console.WriteLine($"| LIST by label in a namespace (10 of 500 objects) | {lists.PerSecond:F0} LISTs/s | |");
    Console.WriteLine($"| LIST all namespaces, limit=500 | {pages.PerSecond:F0} pages/s | |");
    Console.WriteLine($"| simulator memory before objects (working set) | {baseline / 1048576.0:F0} MB | |");
    Console.WriteLine($"| simulator memory with {objects} objects (working set) | {loaded / 1048576.0:F0} MB | <= 200 MB |");
    Console.WriteLine($"| simulator peak working set | {peak / 1048576.0:F0} MB | |");
    Console.WriteLine($"| GET target met | {(gets.PerSecond >= 2000 ? "yes" : "no")} ({gets.PerSecond / 2000:F2}x) | |");
    Console.WriteLine($"| memory target met | {(loaded <= 200L * 1048576 ? "yes" : "no")} ({loaded / (200.0 * 1048576):F2} of the budget) | |");
    return 0;
}
finally
{
    simulator.Kill(entireProcessTree: true);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.DurableTask.Client;
using Urumi.Testing;
using Urumi.Functions.Configuration;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.KubeSim.Testing;

namespace Urumi.Functions.Tests.Support;

/// <summary>One Azurite for the end-to-end tests (they share it, each with its own task hub).</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ControlPlaneCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "control plane";
}

/// <summary>
/// The Urumi function app as its own process (so it can be killed), on a fresh KubeSim through its kubeconfig
/// (Urumi:Cluster:Mode Kubeconfig) with the pinned helm, and quick timings.
/// </summary>
public sealed partial class ControlPlane : IAsyncDisposable
{
    public const string AliceKey = "alice-key-0123456789";
    public const string BobKey = "bob-key-0123456789";

    private ControlPlane(Sim sim, FunctionApp app, string helmTool)
    {
        Sim = sim;
        App = app;
        HelmTool = helmTool;
    }

    public Sim Sim { get; }
    public FunctionApp App { get; }
    public string HelmTool { get; }
    public HttpClient Admin => App.Http;

    public static async Task<ControlPlane> StartAsync(AzuriteServer azurite, string helmTool = "helm3", IDictionary<string, string>? settings = null)
    {
        var sim = await Sim.StartAsync();
        return await StartAsync(azurite, sim, sim.KubeconfigPath, helmTool, settings);
    }

    /// <summary>
    /// The control plane on a KubeSim with RBAC on, as the ServiceAccount bound to the ClusterRole that
    /// `helm template charts/urumi` renders (applied by the cluster admin, as `helm install` would): a call the
    /// role does not allow is a 403, as on a real cluster.
    /// </summary>
    public static async Task<ControlPlane> StartAsServiceAccountAsync(AzuriteServer azurite, string helmTool = "helm3", IDictionary<string, string>? settings = null)
    {
        var options = KubeSim.KubeSimOptions.Fast();
        options.Rbac = true;
        options.Token = KubeSim.Auth.Authentication.NewToken();
        var sim = await Sim.StartAsync(options);
        const string ns = "urumi";
        var rendered = await ChartTemplate.RenderAsync("urumi", ns, [Path.Combine(ChartTemplate.Chart("urumi"), "values-prod.yaml")]);
        await sim.Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = ns } });
        var account = rendered.OfType<k8s.Models.V1ServiceAccount>().Single();
        await sim.Client.CoreV1.CreateNamespacedServiceAccountAsync(account, ns);
        await sim.Client.RbacAuthorizationV1.CreateClusterRoleAsync(rendered.OfType<k8s.Models.V1ClusterRole>().Single());
        await sim.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(rendered.OfType<k8s.Models.V1ClusterRoleBinding>().Single());
        var kubeconfig = Path.Combine(sim.Directory, "service-account.kubeconfig");
        sim.Server.WriteKubeconfig(kubeconfig, sim.Server.Cluster.Authentication.IssueServiceAccountToken(ns, account.Metadata.Name));
        return await StartAsync(azurite, sim, kubeconfig, helmTool, settings);
    }

    /// <summary>The user name the control plane has on a KubeSim started by <see cref="StartAsServiceAccountAsync"/>.</summary>
    public const string ServiceAccountUser = "system:serviceaccount:urumi:urumi";

    private static async Task<ControlPlane> StartAsync(AzuriteServer azurite, Sim sim, string kubeconfig, string helmTool, IDictionary<string, string>? settings)
    {
        var all = new Dictionary<string, string>(FunctionApp.FastFailover())
        {
            ["Auth__Keys__alice"] = AliceKey,
            ["Auth__Keys__bob"] = BobKey,
            ["Urumi__Cluster__Mode"] = "Kubeconfig",
            ["Urumi__Cluster__Kubeconfig"] = kubeconfig,
            ["Urumi__Helm__Path"] = Repo.Tool(helmTool),
            ["Urumi__Helm__Timeout"] = "00:00:30",
            ["Urumi__Helm__UninstallTimeout"] = "00:00:30",
            ["Urumi__Provisioning__Deadline"] = "00:03:00",
            ["Urumi__Provisioning__PollInterval"] = "00:00:00.2",
            ["Urumi__Provisioning__FirstRetryInterval"] = "00:00:00.5",
            ["Urumi__Provisioning__MaxRetryInterval"] = "00:00:02",
            ["Urumi__Provisioning__NamespaceDeletionTimeout"] = "00:00:30",
            ["Urumi__RateLimit__PermitLimit"] = "1000",
            ["TMPDIR"] = sim.Directory,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }
        var hub = "e2e" + Guid.NewGuid().ToString("N")[..10];
        var app = await FunctionApp.StartAsync(azurite.ConnectionString, hub, all, Repo.FunctionsDll);
        return new ControlPlane(sim, app, helmTool);
    }

    /// <summary>A second control plane on the same task hub, KubeSim and settings: the two share the work.</summary>
    public async Task<FunctionApp> StartSecondWorkerAsync() =>
        await FunctionApp.StartAsync(App.ConnectionString, App.Hub, new Dictionary<string, string>(App.Settings), Repo.FunctionsDll);

    public HttpClient As(string key)
    {
        var client = new HttpClient { BaseAddress = Admin.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-functions-key", key);
        return client;
    }

    public DurableTaskClient Storage() => App.CreateStorageClient();

    /// <summary>POST /api/stores; returns the response and its JSON (the store under "store").</summary>
    public static async Task<(HttpResponseMessage Response, JsonNode? Body)> CreateAsync(HttpClient client, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stores") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        var response = await client.SendAsync(request);
        return (response, await ReadAsync(response));
    }

    /// <summary>Creates a store and returns its id (asserting the 202).</summary>
    public static async Task<string> CreateStoreAsync(HttpClient client, string name, string engine = "woocommerce", bool keepFailed = false)
    {
        var (response, body) = await CreateAsync(client, new { name, engine, plan = "small", keepFailed });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/stores answered {(int)response.StatusCode}: {body}");
        return (string)body!["store"]!["id"]!;
    }

    public static async Task<JsonNode> GetStoreAsync(HttpClient client, string id)
    {
        var response = await client.GetAsync($"/api/stores/{id}");
        var body = await ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"GET /api/stores/{id} answered {(int)response.StatusCode}: {body}");
        return body!;
    }

    /// <summary>
    /// The events at <paramref name="path"/> (a store's /api/stores/{id}/events or /api/audit?...) once they hold, for each
    /// of <paramref name="wanted"/>, an event that matches it. The registry row turns Ready inside the last activity, a moment before that activity's completion and
    /// the orchestration's end reach the history the timeline is read from, so a timeline read right after Ready may lag.
    /// </summary>
    public static async Task<JsonArray> WaitForEventsAsync(HttpClient client, string path, params Func<JsonNode, bool>[] wanted) =>
        await Eventually.Until(
            async () => (await ReadAsync(await client.GetAsync(path)))!["items"]!.AsArray(),
            timeline => wanted.All(w => timeline.Any(e => e is not null && w(e))),
            TimeSpan.FromSeconds(30),
            $"{path} to hold every expected event");

    /// <summary>Polls the store until it reaches <paramref name="phase"/>; fails at once when it settles on another final phase.</summary>
    public async Task<JsonNode> WaitForPhaseAsync(string id, string phase, TimeSpan? timeout = null)
    {
        // Another final phase ends the wait only when written after the wait began: right after a DELETE or a retry,
        // the row still shows the phase the last operation left until the new operation's first step writes it.
        string[] final = ["Ready", "Failed", "Deleted"];
        var since = DateTimeOffset.UtcNow;
        var store = await Eventually.Until(
            async () =>
            {
                await Task.Delay(100);
                return await GetStoreAsync(Admin, id);
            },
            s => (string?)s["phase"] == phase || final.Contains((string?)s["phase"]) && s["updatedAt"]!.GetValue<DateTimeOffset>() > since,
            timeout ?? TimeSpan.FromSeconds(120),
            $"store {id} to be {phase}");
        Assert.True((string?)store["phase"] == phase, $"store {id} is {store["phase"]}, not {phase}: {store["lastError"]}\n{store}\n--- app output ---\n{Tail(WithoutRequests(App.Output))}");
        return store;
    }

    public async Task<CommandResult> HelmAsync(params string[] arguments) => await Sim.RunAsync(HelmTool, arguments);

    /// <summary>`helm list` of every release in every status (Helm 3 needs --all for that; Helm 4 shows all and has no such flag).</summary>
    public async Task<string> ListReleasesAsync() => HelmTool == "helm3"
        ? (await HelmAsync("list", "--all-namespaces", "--all", "--output", "json")).EnsureSuccess().Stdout
        : (await HelmAsync("list", "--all-namespaces", "--output", "json")).EnsureSuccess().Stdout;

    public static async Task<JsonNode?> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    public static string Tail(string text, int lines = 60) => string.Join('\n', text.Split('\n').TakeLast(lines));

    /// <summary>
    /// The app's log without the entries of its HTTP requests (the tests' polling would fill any tail): an entry is a
    /// "level: category[id]" line and the indented lines after it.
    /// </summary>
    public static string WithoutRequests(string output)
    {
        var kept = new List<string>();
        var dropping = false;
        foreach (var line in output.Split('\n'))
        {
            if (LogEntryStart().IsMatch(line))
            {
                dropping = line.Contains(" Urumi.Hosting.Http[", StringComparison.Ordinal) || line.Contains(" Microsoft.AspNetCore.", StringComparison.Ordinal);
            }
            if (!dropping)
            {
                kept.Add(line);
            }
        }
        return string.Join('\n', kept);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(trce|dbug|info|warn|fail|crit): ")]
    private static partial System.Text.RegularExpressions.Regex LogEntryStart();

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Sim.DisposeAsync();
    }
}

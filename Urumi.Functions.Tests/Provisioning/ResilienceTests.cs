using k8s;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using Urumi.Testing;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>What the systems Urumi replaces do not survive: a killed helm, a killed control plane, a crowd of requests.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class ResilienceTests(AzuriteFixture fixture)
{
    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task When_helm_is_killed_mid_install_the_retry_unlocks_the_release_and_the_store_becomes_Ready(string helm)
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, helm);
        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"));
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await ControlPlane.CreateStoreAsync(alice, "sturdy");
        await Eventually.Until(() => StoreLifecycleTests.ReleaseStatusAsync(plane, id), s => s == "pending-install", TimeSpan.FromSeconds(60), "helm to be installing");

        var killed = KillHelm(id);
        plane.Sim.Server.Faults.Clear();

        Assert.Equal(1, killed);
        var store = await plane.WaitForPhaseAsync(id, "Ready");
        var status = JsonNode.Parse((await plane.HelmAsync("status", id, "--namespace", id, "--output", "json")).EnsureSuccess().Stdout)!;
        Assert.Equal("deployed", (string?)status["info"]!["status"]);
        Assert.Equal(2, (int)status["version"]!);
        var history = (await plane.HelmAsync("history", id, "--namespace", id, "--output", "json")).EnsureSuccess().Stdout;
        Assert.Contains("Marked failed by Urumi", history);
        await ControlPlane.WaitForEventsAsync(
            alice,
            $"/api/stores/{id}/events",
            e => (string?)e["step"] == "InstallRelease" && (string?)e["outcome"] == "failed" && ((string?)e["error"])!.Contains("interrupted", StringComparison.Ordinal),
            e => (string?)e["step"] == "InstallRelease" && (string?)e["outcome"] == "succeeded");
        Assert.Equal("Ready", (string?)store["phase"]);
    }

    [Fact]
    public async Task When_the_control_plane_is_killed_mid_provisioning_and_restarted_the_store_becomes_Ready_with_one_release()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"));
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await ControlPlane.CreateStoreAsync(alice, "phoenix");
        await Eventually.Until(() => StoreLifecycleTests.ReleaseStatusAsync(plane, id), s => s == "pending-install", TimeSpan.FromSeconds(60), "helm to be installing");

        plane.App.Kill();
        Assert.Equal(0, KillHelm(id));
        plane.Sim.Server.Faults.Clear();
        await plane.App.RestartAsync();

        await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromSeconds(180));
        var releases = JsonNode.Parse(await plane.ListReleasesAsync())!.AsArray();
        var release = Assert.Single(releases);
        Assert.Equal(id, (string?)release!["name"]);
        Assert.Equal("deployed", (string?)release["status"]);
    }

    [Fact]
    public async Task When_the_control_plane_dies_between_a_stores_claims_and_its_start_the_request_sent_again_starts_it_and_abandoned_claims_are_taken_over()
    {
        var hold = TimeSpan.FromSeconds(3);
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__ClaimHold"] = hold.ToString(),
            ["URUMI_FAILPOINTS"] = "stores.beforeStart=1",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        // The POST claims the name and a slot, then dies before starting the provisioning.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => ControlPlane.CreateAsync(alice, new { name = "lazarus", engine = "woocommerce" }, "lazarus-1"));
        await plane.App.WaitForExitAsync(TimeSpan.FromSeconds(30));
        plane.App.Settings["URUMI_FAILPOINTS"] = "stores.beforeStart=1";
        await plane.App.RestartAsync();
        // The same again, without a key: its claims are abandoned when the process dies.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => ControlPlane.CreateAsync(alice, new { name = "phoenix", engine = "woocommerce" }));
        await plane.App.WaitForExitAsync(TimeSpan.FromSeconds(30));
        plane.App.Settings.Remove("URUMI_FAILPOINTS");
        await plane.App.RestartAsync();

        // The first request, sent again with its key, starts the store it claimed for.
        var again = await ControlPlane.CreateAsync(alice, new { name = "lazarus", engine = "woocommerce" }, "lazarus-1");
        Assert.Equal(HttpStatusCode.Accepted, again.Response.StatusCode);
        var lazarus = (string)again.Body!["store"]!["id"]!;
        // A new request for the abandoned name is refused while the claim may still be in use, then takes it over.
        var phoenix = await Eventually.Until(() => ControlPlane.CreateAsync(alice, new { name = "phoenix", engine = "woocommerce" }),
            r => r.Response.StatusCode == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30), "the abandoned claim on 'phoenix' to be taken over");
        var phoenixId = (string)phoenix.Body!["store"]!["id"]!;

        await plane.WaitForPhaseAsync(lazarus, "Ready", TimeSpan.FromSeconds(180));
        await plane.WaitForPhaseAsync(phoenixId, "Ready", TimeSpan.FromSeconds(180));
        var releases = JsonNode.Parse(await plane.ListReleasesAsync())!.AsArray().Select(r => (string?)r!["name"]).Order().ToList();
        Assert.Equal(new[] { lazarus, phoenixId }.Order(), releases);
    }

    [Fact]
    public async Task Ten_stores_created_at_once_with_a_limit_of_two_never_run_more_than_two_helm_installs_at_once()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "2",
            ["Urumi__MaxActiveStoresPerOwner"] = "10",
        });
        using var alice = plane.As(ControlPlane.AliceKey);

        var ids = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => ControlPlane.CreateStoreAsync(alice, $"crowd{i}")));
        // While they wait, the queued ones show where they stand.
        var positions = new HashSet<int>();
        await Eventually.Until(async () =>
        {
            var ready = 0;
            foreach (var id in ids)
            {
                var store = await ControlPlane.GetStoreAsync(alice, id);
                if (store["queuePosition"] is { } position)
                {
                    Assert.Equal("Queued", (string?)store["phase"]);
                    positions.Add((int)position);
                }
                Assert.NotEqual("Failed", (string?)store["phase"]);
                ready += (string?)store["phase"] == "Ready" ? 1 : 0;
            }
            return ready;
        }, ready => ready == ids.Length, TimeSpan.FromSeconds(240), "all ten stores Ready");

        Assert.Contains(1, positions);
        Assert.True(positions.Max() >= 3, $"positions seen: {string.Join(", ", positions)}");
        var installs = InstallIntervals(plane, ids);
        Assert.Equal(10, installs.Count);
        Assert.InRange(MaxOverlap(installs.Values), 1, 2);
    }

    [Fact]
    public async Task More_creates_than_the_rate_limit_from_one_IP_get_429_with_Retry_After()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Urumi__RateLimit__PermitLimit"] = "2" });
        using var alice = plane.As(ControlPlane.AliceKey);

        // Both are going to create a store, so both spend a permit, though the second is then refused (the name is taken).
        var first = await ControlPlane.CreateAsync(alice, new { name = "fine", engine = "woocommerce" });
        var second = await ControlPlane.CreateAsync(alice, new { name = "fine", engine = "woocommerce" });
        var third = await ControlPlane.CreateAsync(alice, new { name = "other", engine = "woocommerce" });

        Assert.Equal(HttpStatusCode.Accepted, first.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.Response.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.Response.StatusCode);
        Assert.Equal("application/problem+json", third.Response.Content.Headers.ContentType?.MediaType);
        var retryAfter = third.Response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter!.Value.TotalSeconds, 800, 900);
        var names = (await ControlPlane.ReadAsync(await alice.GetAsync("/api/stores")))!["items"]!.AsArray().Select(s => (string?)s!["name"]);
        Assert.Equal(["fine"], names);
    }

    [Fact]
    public async Task Invalid_creates_and_Idempotency_Key_replays_spend_no_rate_limit_permit()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Urumi__RateLimit__PermitLimit"] = "1" });
        using var alice = plane.As(ControlPlane.AliceKey);

        var invalid = await ControlPlane.CreateAsync(alice, new { name = "Bad Name", engine = "woocommerce" });
        var invalidAgain = await ControlPlane.CreateAsync(alice, new { name = "bad name", engine = "woocommerce" });
        var created = await ControlPlane.CreateAsync(alice, new { name = "kept", engine = "woocommerce" }, "key-1");
        var replay = await ControlPlane.CreateAsync(alice, new { name = "kept", engine = "woocommerce" }, "key-1");
        var another = await ControlPlane.CreateAsync(alice, new { name = "another", engine = "woocommerce" });

        Assert.Equal(HttpStatusCode.BadRequest, invalid.Response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalidAgain.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, created.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, replay.Response.StatusCode);
        Assert.Equal((string?)created.Body!["store"]!["id"], (string?)replay.Body!["store"]!["id"]);
        Assert.Equal(HttpStatusCode.TooManyRequests, another.Response.StatusCode);
    }

    [Fact]
    public async Task A_provisioning_that_outlives_its_deadline_fails_naming_the_step_and_leaves_nothing()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Helm__Timeout"] = "00:00:03",
            ["Urumi__Provisioning__Deadline"] = "00:00:04",
        });
        // The quota's apply hangs far past the deadline: only the deadline's timer can end this provisioning.
        plane.Sim.Server.Faults.AddLatency(new LatencyFault(TimeSpan.FromSeconds(60), PathContains: "/resourcequotas"));
        using var alice = plane.As(ControlPlane.AliceKey);

        var id = await ControlPlane.CreateStoreAsync(alice, "slowpoke");
        var store = await plane.WaitForPhaseAsync(id, "Failed");

        Assert.Contains("the provisioning deadline (00:00:04) passed during step Namespace", (string?)store["lastError"]);
        Assert.Empty((await plane.Sim.Client.CoreV1.ListNamespaceAsync(labelSelector: "app.kubernetes.io/managed-by=urumi")).Items);
    }

    [Fact]
    public async Task A_provisioning_terminated_by_hand_gives_its_gate_slot_back_to_the_next_store()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            ["Urumi__Provisioning__GateHolderCheckInterval"] = "00:00:01",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        var first = await ControlPlane.CreateStoreAsync(alice, "abandoned");
        await plane.WaitForPhaseAsync(first, "Provisioning");

        // An operator terminates it through the management API: it never sends its release to the gate.
        await plane.Storage().TerminateInstanceAsync(Urumi.Functions.Stores.Store.ProvisionInstanceId(first, 1), "by hand");
        var second = await ControlPlane.CreateStoreAsync(alice, "after");

        await plane.WaitForPhaseAsync(second, "Ready");
        // Its row still says Provisioning (nothing ran to say otherwise); a retry takes it up again.
        Assert.Equal("Provisioning", (string?)(await ControlPlane.GetStoreAsync(alice, first))["phase"]);
        var retry = await alice.PostAsync($"/api/stores/{first}/retry", null);
        Assert.True(retry.StatusCode == HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        await plane.WaitForPhaseAsync(first, "Ready");
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_rate_limit_counts_each_forwarded_client()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__RateLimit__PermitLimit"] = "1",
            ["Urumi__TrustedProxies"] = "127.0.0.1, ::1",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        async Task<HttpStatusCode> PostFrom(string client, string name)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stores") { Content = System.Net.Http.Json.JsonContent.Create(new { name, engine = "woocommerce" }) };
            request.Headers.Add("X-Forwarded-For", client);
            return (await alice.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Accepted, await PostFrom("198.51.100.1", "first"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await PostFrom("198.51.100.1", "second"));
        Assert.Equal(HttpStatusCode.Accepted, await PostFrom("198.51.100.2", "third"));
        // A client naming another address before the one the proxy appends gains nothing.
        Assert.Equal(HttpStatusCode.TooManyRequests, await PostFrom("203.0.113.50, 198.51.100.2", "fourth"));
    }

    /// <summary>Kills (SIGKILL) the helm processes installing <paramref name="release"/>; returns how many there were.</summary>
    private static int KillHelm(string release)
    {
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (cmdline.Contains("helm", StringComparison.Ordinal) && cmdline.Contains($"upgrade --install {release} ", StringComparison.Ordinal))
            {
                try
                {
                    Process.GetProcessById(int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture)).Kill();
                    killed++;
                }
                catch (ArgumentException)
                {
                }
            }
        }
        return killed;
    }

    /// <summary>From the simulator's record of writes to Helm's release Secrets: when each install started and ended.</summary>
    private static Dictionary<string, (long Start, long End)> InstallIntervals(ControlPlane plane, IEnumerable<string> ids)
    {
        var intervals = new Dictionary<string, (long Start, long End)>();
        foreach (var id in ids)
        {
            var (started, ended) = plane.Sim.Server.Operations.HelmInstall(id, id);
            intervals[id] = (started.Sequence, ended.Sequence);
        }
        return intervals;
    }

    private static int MaxOverlap(IEnumerable<(long Start, long End)> intervals)
    {
        var points = intervals.SelectMany(i => new[] { (At: i.Start, Delta: 1), (At: i.End, Delta: -1) }).OrderBy(p => p.At).ThenBy(p => p.Delta);
        int current = 0, max = 0;
        foreach (var (_, delta) in points)
        {
            current += delta;
            max = Math.Max(max, current);
        }
        return max;
    }
}

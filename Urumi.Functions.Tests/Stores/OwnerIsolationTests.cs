using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;
using Urumi.Testing;
using Xunit.Abstractions;

namespace Urumi.Functions.Tests.Stores;

/// <summary>
/// Owners are kept apart by construction: store ids are reserved across all owners, an Idempotency-Key only ever
/// replays its owner's earlier answer, and a namespace that is not a store's own is never adopted. The store id
/// generator is scripted (<see cref="ScriptedStoreIds"/>) to make one owner's request propose another's id.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class OwnerIsolationTests(AzuriteFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task An_id_proposed_again_for_another_owner_gives_them_nothing_of_the_first_store_and_leaves_it_untouched_even_after_a_purge()
    {
        const string taken = "shop-aaaaaaaaaaaa";
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            [ScriptedStoreIds.Variable] = $"{taken},{taken},shop-bbbbbbbbbbbb,{taken},shop-cccccccccccc",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);
        var first = await ControlPlane.CreateAsync(alice, new { name = "shop", engine = "woocommerce", plan = "small" }, "order-1");
        Assert.Equal(taken, (string?)first.Body!["store"]!["id"]);
        await plane.WaitForPhaseAsync(taken, "Ready");
        var before = await SnapshotAsync(plane, taken);

        // Bob's request, with the same key and another engine, is proposed alice's id first.
        var collided = await ControlPlane.CreateAsync(bob, new { name = "shop", engine = "medusa", plan = "small" }, "order-1");
        var replayed = await ControlPlane.CreateAsync(bob, new { name = "shop", engine = "medusa", plan = "small" }, "order-1");
        Assert.Equal(HttpStatusCode.Accepted, collided.Response.StatusCode);
        Assert.Equal("shop-bbbbbbbbbbbb", (string?)collided.Body!["store"]!["id"]);
        Assert.Equal("shop-bbbbbbbbbbbb", (string?)replayed.Body!["store"]!["id"]);
        await plane.WaitForPhaseAsync("shop-bbbbbbbbbbbb", "Ready");

        // Alice's finished histories are purged; bob's next request is proposed her id again.
        var purge = await plane.Admin.DeleteAsync($"/api/audit?before={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        var afterPurge = await ControlPlane.CreateAsync(bob, new { name = "shop-two", engine = "woocommerce", plan = "small" }, "order-2");
        var replayedAfterPurge = await ControlPlane.CreateAsync(bob, new { name = "shop", engine = "medusa", plan = "small" }, "order-1");
        Assert.Equal(HttpStatusCode.Accepted, afterPurge.Response.StatusCode);
        Assert.Equal("shop-cccccccccccc", (string?)afterPurge.Body!["store"]!["id"]);
        Assert.Equal("shop-bbbbbbbbbbbb", (string?)replayedAfterPurge.Body!["store"]!["id"]);
        await plane.WaitForPhaseAsync("shop-cccccccccccc", "Ready");

        foreach (var answer in new[] { collided, replayed, afterPurge, replayedAfterPurge })
        {
            Assert.DoesNotContain(taken, answer.Body!.ToJsonString());
            Assert.DoesNotContain(taken, answer.Response.Headers.Location?.ToString() ?? "");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/stores/{taken}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/stores/{taken}/events")).StatusCode);
        Assert.DoesNotContain(taken, await (await bob.GetAsync("/api/stores")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(taken, await (await bob.GetAsync("/api/audit")).Content.ReadAsStringAsync());
        Assert.Equal(before, await SnapshotAsync(plane, taken));
    }

    [Fact]
    public async Task A_namespace_that_is_not_the_stores_own_fails_its_provisioning_and_is_left_as_it_is()
    {
        // Two namespaces named as alice's next stores will be: one labelled for another owner's store, one not urumi's.
        const string othersId = "adopt-bbbbbbbbbbbb";
        const string plainId = "plain-cccccccccccc";
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            [ScriptedStoreIds.Variable] = $"{othersId},{plainId}",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        var k = plane.Sim.Client;
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = othersId,
                Labels = new Dictionary<string, string>
                {
                    [StoreResources.ManagedByLabel] = StoreResources.ManagedBy,
                    [StoreResources.StoreIdLabel] = othersId,
                    [StoreResources.OwnerLabel] = "bob",
                },
            },
        });
        await k.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = StoreResources.QuotaName },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("40") } },
        }, othersId);
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = plainId } });
        var before = new[] { await NamespaceSnapshotAsync(plane, othersId), await NamespaceSnapshotAsync(plane, plainId) };
        var mark = plane.Sim.Server.Operations.Query().Max(o => o.Sequence);

        var adopt = await ControlPlane.CreateStoreAsync(alice, "adopt");
        var plain = await ControlPlane.CreateStoreAsync(alice, "plain");
        Assert.Equal(new[] { othersId, plainId }, new[] { adopt, plain });
        foreach (var id in new[] { adopt, plain })
        {
            var failed = await plane.WaitForPhaseAsync(id, "Failed");
            Assert.Contains($"namespace {id} already exists and belongs to another store", (string?)failed["lastError"]);
            Assert.DoesNotContain("bob", failed.ToJsonString());
            Assert.False((bool)failed["holdsResources"]!);
        }
        // Deleting alice's stores deletes nothing that is not theirs.
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{adopt}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{plain}")).StatusCode);
        await plane.WaitForPhaseAsync(adopt, "Deleted");
        await plane.WaitForPhaseAsync(plain, "Deleted");

        Assert.Equal(before, new[] { await NamespaceSnapshotAsync(plane, othersId), await NamespaceSnapshotAsync(plane, plainId) });
        var writes = plane.Sim.Server.Operations.Query(o => o.Sequence > mark && o.Code is >= 200 and < 300
            && (o.Namespace is othersId or plainId || o.Name is othersId or plainId));
        Assert.True(writes.Count == 0, "writes to namespaces that are not the stores' own:\n" + string.Join('\n', writes));
    }

    [Fact]
    public async Task An_Idempotency_Key_reused_for_another_request_is_422_and_makes_no_second_store_and_another_owners_key_is_their_own()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);

        var first = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "woocommerce" }, "key-1");
        var otherName = await ControlPlane.CreateAsync(alice, new { name = "two", engine = "woocommerce" }, "key-1");
        var otherPlan = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "woocommerce", plan = "medium" }, "key-1");
        var bobsOwn = await ControlPlane.CreateAsync(bob, new { name = "one", engine = "woocommerce" }, "key-1");

        Assert.Equal(HttpStatusCode.Accepted, first.Response.StatusCode);
        var id = (string)first.Body!["store"]!["id"]!;
        foreach (var reused in new[] { otherName, otherPlan })
        {
            Assert.Equal((HttpStatusCode)422, reused.Response.StatusCode);
            Assert.Equal("application/problem+json", reused.Response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("https://urumi.dev/problems/idempotency-key-reused", (string?)reused.Body!["type"]);
            Assert.NotNull(reused.Body["errors"]?["Idempotency-Key"]);
            Assert.DoesNotContain(id, reused.Body.ToJsonString());
        }
        Assert.Equal(HttpStatusCode.Accepted, bobsOwn.Response.StatusCode);
        Assert.NotEqual(id, (string?)bobsOwn.Body!["store"]!["id"]);
        Assert.Equal("bob", (string?)bobsOwn.Body["store"]!["owner"]);

        await plane.WaitForPhaseAsync(id, "Ready");
        var alices = (await ControlPlane.ReadAsync(await alice.GetAsync("/api/stores")))!["items"]!.AsArray();
        Assert.Equal(id, (string?)Assert.Single(alices)!["id"]);
        await foreach (var instance in plane.Storage().GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = "two-" }))
        {
            Assert.Fail($"a store was started for the reused key: {instance.InstanceId}");
        }
    }

    /// <summary>
    /// Random interleavings (fixed seeds) of several owners' creates (with and without keys, keys shared between
    /// owners and reused, ids proposed twice by the scripted generator), reads, lists, deletes, retries and audit
    /// reads, each also aimed at another owner's stores: no answer to one owner holds anything of another's, and no
    /// request of one owner changes another's store (its registry row, or its namespace's labels).
    /// </summary>
    [Fact]
    public async Task Random_interleavings_of_owners_requests_never_leak_or_touch_across_owners()
    {
        int[] seeds = [19, 1901, 190001];
        var owners = seeds.SelectMany((_, run) => new[] { $"o{run}a", $"o{run}b" }).ToArray();
        var settings = new Dictionary<string, string>
        {
            [ScriptedStoreIds.Variable] = string.Join(',', ScriptWithRepeats(new Random(seeds[0]), 400)),
            ["Urumi__MaxActiveStoresPerOwner"] = "3",
            ["Urumi__Provisioning__MaxConcurrent"] = "3",
        };
        foreach (var owner in owners)
        {
            settings[$"Auth__Keys__{owner}"] = KeyOf(owner);
        }
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", settings);
        var model = new IsolationModel(plane);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var run = 0; run < seeds.Length; run++)
        {
            var random = new Random(seeds[run]);
            var pair = new[] { owners[2 * run], owners[2 * run + 1] };
            for (var step = 0; step < 30; step++)
            {
                var owner = pair[random.Next(2)];
                await model.RandomOperationAsync(owner, pair.Single(o => o != owner), random);
                await model.CheckAsync();
            }
        }
        var operations = clock.Elapsed;
        await model.SettleAsync(TimeSpan.FromSeconds(120));
        await model.CheckAsync();
        var proposedAgain = plane.App.Output.Split('\n').Count(l => l.Contains("was proposed again", StringComparison.Ordinal));
        output.WriteLine($"{seeds.Length} runs of 30 requests in {operations.TotalSeconds:F1} s, settled after {clock.Elapsed.TotalSeconds:F1} s; "
            + $"{model.Accepted} stores accepted, {proposedAgain} ids proposed again");
        Assert.True(model.Accepted >= 6, $"the runs created too few stores to mean anything: {model.Accepted}");
        Assert.True(proposedAgain > 0, "no id was proposed twice");
    }

    private static string KeyOf(string owner) => $"{owner}-key-0123456789";

    /// <summary>Ids for the scripted generator, about half of them repeating an earlier one.</summary>
    private static List<string> ScriptWithRepeats(Random random, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(ids.Count > 0 && random.Next(2) == 0 ? ids[random.Next(ids.Count)] : $"st-{i:d4}");
        }
        return ids;
    }

    /// <summary>What the owners were told, and the checks that nothing crossed between them.</summary>
    private sealed class IsolationModel(ControlPlane plane)
    {
        private readonly Dictionary<string, string> _ownerOf = [];
        private readonly Dictionary<string, string> _nameOf = [];
        private readonly HashSet<string> _deleted = [];
        private readonly HashSet<string> _recorded = [];
        private readonly Dictionary<(string Owner, string Key), (string Request, string? Id)> _keys = [];
        private readonly Dictionary<string, HttpClient> _clients = [];

        public int Accepted => _ownerOf.Count;

        private HttpClient Client(string owner) =>
            _clients.TryGetValue(owner, out var client) ? client : _clients[owner] = plane.As(KeyOf(owner));

        private string[] Own(string owner) => [.. _ownerOf.Where(o => o.Value == owner).Select(o => o.Key).Order()];

        public async Task RandomOperationAsync(string owner, string other, Random random)
        {
            var client = Client(owner);
            // Only stores whose row is written: until then only GET shows a store (from its request), so the other
            // routes answer 404 even to its owner.
            var own = Own(owner).Where(_recorded.Contains).ToArray();
            var others = Own(other);
            string? target = random.Next(3) == 0 && others.Length > 0 ? others[random.Next(others.Length)]
                : own.Length > 0 ? own[random.Next(own.Length)] : null;
            var theirs = target is not null && _ownerOf[target] != owner;
            switch (random.Next(10))
            {
                case < 4:
                    await CreateAsync(owner, client, random);
                    return;
                case 4 when target is not null:
                    await ExpectAsync(owner, await client.GetAsync($"/api/stores/{target}"), theirs ? [404] : [200]);
                    return;
                case 5 when target is not null:
                    var deleted = await ExpectAsync(owner, await client.DeleteAsync($"/api/stores/{target}"), theirs ? [404] : [202]);
                    if (deleted == 202)
                    {
                        _deleted.Add(target);
                    }
                    return;
                case 6 when target is not null:
                    await ExpectAsync(owner, await client.PostAsync($"/api/stores/{target}/retry", null), theirs ? [404] : [202, 403, 409]);
                    return;
                case 7 when target is not null:
                    await ExpectAsync(owner, await client.GetAsync($"/api/stores/{target}/events"), theirs ? [404] : [200]);
                    return;
                case 8:
                    await ExpectAsync(owner, await client.GetAsync("/api/audit"), [200]);
                    return;
                default:
                    await ExpectAsync(owner, await client.GetAsync("/api/stores"), [200]);
                    return;
            }
        }

        private async Task CreateAsync(string owner, HttpClient client, Random random)
        {
            var name = $"{owner}-n{random.Next(3)}";
            var engine = random.Next(4) == 0 ? "medusa" : "woocommerce";
            string? key = random.Next(5) < 3 ? $"k{random.Next(3)}" : null;
            var (response, body) = await ControlPlane.CreateAsync(client, new { name, engine, plan = "small" }, key);
            var status = await ExpectAsync(owner, response, [202, 403, 409, 422, 503], body);
            var request = $"{name}/{engine}";
            string? id = status == 202 ? (string?)body!["store"]!["id"] : null;
            if (id is not null)
            {
                Assert.Equal(owner, (string?)body!["store"]!["owner"]);
                Assert.True(!_ownerOf.TryGetValue(id, out var holder) || holder == owner, $"{owner} was answered with {holder}'s store {id}");
                _ownerOf[id] = owner;
                _nameOf[id] = name;
            }
            if (key is null || status == 503)
            {
                // 503: no id could be reserved, and the key was not recorded.
                return;
            }
            if (_keys.TryGetValue((owner, key), out var earlier))
            {
                Assert.True(earlier.Request == request ? status != 422 : status == 422,
                    $"{owner}'s key {key}, first for {earlier.Request}, now for {request}: {status} {body}");
                Assert.True(id is null || earlier.Id is null || earlier.Id == id, $"{owner}'s key {key} gave {earlier.Id}, then {id}");
                if (earlier.Request == request && id is not null)
                {
                    _keys[(owner, key)] = (request, id);
                }
            }
            else
            {
                _keys[(owner, key)] = (request, id);
            }
        }

        /// <summary>Checks the status, and that the answer holds no id or name of another owner's store.</summary>
        private async Task<int> ExpectAsync(string owner, HttpResponseMessage response, int[] allowed, JsonNode? read = null)
        {
            var text = read?.ToJsonString() ?? await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            Assert.True(allowed.Contains(status), $"{owner}: {response.RequestMessage!.Method} {response.RequestMessage.RequestUri} -> {status}: {text}");
            // A 404 may repeat the id the caller sent; nothing else of another owner's store may be in the answer.
            var asked = response.RequestMessage!.RequestUri!.AbsolutePath;
            foreach (var (id, holder) in _ownerOf.Where(o => o.Value != owner && !asked.Contains(o.Key, StringComparison.Ordinal)))
            {
                Assert.False(text.Contains(id, StringComparison.Ordinal) || text.Contains(_nameOf[id], StringComparison.Ordinal)
                    || (response.Headers.Location?.ToString().Contains(id, StringComparison.Ordinal) ?? false),
                    $"{owner}'s answer to {response.RequestMessage!.Method} {response.RequestMessage.RequestUri} holds {holder}'s store {id}: {text}");
            }
            return status;
        }

        /// <summary>Every row and namespace belongs to the owner it was created for, and only its owner deleted it.</summary>
        public async Task CheckAsync()
        {
            var rows = (await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores?limit=200")))!["items"]!.AsArray();
            foreach (var row in rows)
            {
                var id = (string)row!["id"]!;
                Assert.True(_ownerOf.TryGetValue(id, out var owner), $"a store nobody was told of: {row}");
                _recorded.Add(id);
                Assert.Equal(owner, (string?)row["owner"]);
                Assert.Equal(_nameOf[id], (string?)row["name"]);
                Assert.True(_deleted.Contains(id) || (string?)row["phase"] is not ("Deleting" or "Deleted"), $"{id} is being deleted, but its owner did not ask: {row}");
            }
            var namespaces = await plane.Sim.Client.CoreV1.ListNamespaceAsync(labelSelector: $"{StoreResources.ManagedByLabel}={StoreResources.ManagedBy}");
            foreach (var ns in namespaces.Items)
            {
                var id = ns.Metadata.Name;
                Assert.True(_ownerOf.TryGetValue(id, out var owner), $"a namespace of a store nobody was told of: {id}");
                Assert.Equal(id, ns.Metadata.Labels[StoreResources.StoreIdLabel]);
                Assert.Equal(owner, ns.Metadata.Labels[StoreResources.OwnerLabel]);
            }
        }

        /// <summary>Waits until no store is on its way (Queued, Provisioning, Deleting).</summary>
        public async Task SettleAsync(TimeSpan timeout) => await Eventually.Until(
            async () => (await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores?limit=200")))!["items"]!.AsArray(),
            rows => rows.All(r => (string?)r!["phase"] is "Ready" or "Failed" or "Deleted"),
            timeout, "every store to settle");
    }

    /// <summary>What another owner's request must not change: the store's row, its namespace, quota and release.</summary>
    private static async Task<string> SnapshotAsync(ControlPlane plane, string id)
    {
        var store = await ControlPlane.GetStoreAsync(plane.Admin, id);
        var releases = await plane.Sim.Client.CoreV1.ListNamespacedSecretAsync(id, labelSelector: "owner=helm");
        return string.Join('\n', store.ToJsonString(), await NamespaceSnapshotAsync(plane, id),
            string.Join(',', releases.Items.Select(s => $"{s.Metadata.Name}@{s.Metadata.ResourceVersion}").Order()));
    }

    private static async Task<string> NamespaceSnapshotAsync(ControlPlane plane, string id)
    {
        var k = plane.Sim.Client;
        var ns = await k.CoreV1.ReadNamespaceAsync(id);
        var quotas = await k.CoreV1.ListNamespacedResourceQuotaAsync(id);
        var limits = await k.CoreV1.ListNamespacedLimitRangeAsync(id);
        var policies = await k.NetworkingV1.ListNamespacedNetworkPolicyAsync(id);
        return string.Join('\n',
            ns.Metadata.ResourceVersion,
            string.Join(",", (ns.Metadata.Labels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}").Order()),
            string.Join(',', quotas.Items.Select(q => $"{q.Metadata.Name}:{string.Join(';', q.Spec.Hard.Select(h => $"{h.Key}={h.Value}").Order())}")),
            string.Join(',', limits.Items.Select(l => l.Metadata.Name)),
            string.Join(',', policies.Items.Select(p => p.Metadata.Name)));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using k8s;
using Urumi.Testing;
using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

/// <summary>The HTTP contract: bad input gets the right 4xx with field details and creates nothing; owners are kept apart.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class StoreApiTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task Bad_requests_get_the_right_4xx_and_create_nothing()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };

        async Task Expect(HttpClient client, HttpContent? content, HttpStatusCode status, string? field)
        {
            var response = await client.PostAsync("/api/stores", content);
            var body = await ControlPlane.ReadAsync(response);
            Assert.True(response.StatusCode == status, $"{content?.ReadAsStringAsync().Result[..Math.Min(80, (int)(content.Headers.ContentLength ?? 0))]} -> {(int)response.StatusCode}, not {(int)status}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            if (field is not null)
            {
                Assert.NotNull(body!["errors"]?[field]);
            }
        }

        StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
        await Expect(alice, JsonContent.Create(new { name = "MyShop", engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, JsonContent.Create(new { name = new string('a', 64), engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, JsonContent.Create(new { name = "../x", engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, JsonContent.Create(new { name = "bücher", engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, JsonContent.Create(new { name = "ab", engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, JsonContent.Create(new { name = "shop\n", engine = "woocommerce" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, Json("{\"name\": \"shop\", \"engine\": "), HttpStatusCode.BadRequest, "body");
        await Expect(alice, Json(new string(' ', 10 * 1024 * 1024)), HttpStatusCode.RequestEntityTooLarge, null);
        await Expect(alice, JsonContent.Create(new { name = "shop", engine = "magento" }), HttpStatusCode.BadRequest, "engine");
        await Expect(alice, JsonContent.Create(new { name = "shop", engine = "medusa", plan = "huge" }), HttpStatusCode.BadRequest, "plan");
        await Expect(alice, JsonContent.Create(new { name = "shop", engine = "medusa", extra = 1 }), HttpStatusCode.BadRequest, "extra");
        await Expect(alice, JsonContent.Create(new { name = 42, engine = "medusa" }), HttpStatusCode.BadRequest, "name");
        await Expect(alice, new StringContent("name=shop", Encoding.UTF8, "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType, null);
        await Expect(anonymous, JsonContent.Create(new { name = "shop", engine = "woocommerce" }), HttpStatusCode.Unauthorized, null);
        using var wrongKey = plane.As("not-a-key");
        await Expect(wrongKey, JsonContent.Create(new { name = "shop", engine = "woocommerce" }), HttpStatusCode.Unauthorized, null);

        // Another owner's store: not found for every verb, and it stays as it is.
        var id = await ControlPlane.CreateStoreAsync(alice, "alices");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/stores/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/stores/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/stores/{id}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/stores/{id}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/stores/..%2Fx")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync("/api/stores?status=Sleeping")).StatusCode);
        Assert.Equal("[]", (await ControlPlane.ReadAsync(await bob.GetAsync("/api/stores")))!["items"]!.ToJsonString());
        Assert.Empty((await ControlPlane.ReadAsync(await bob.GetAsync("/api/audit")))!["items"]!.AsArray());

        // Of all those requests, only alice's one store exists, in the registry and in the cluster. Its row is
        // written by its provisioning, so it is read once that has run (listing right after the 202 raced it).
        await plane.WaitForPhaseAsync(id, "Ready");
        var all = (await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores")))!["items"]!.AsArray();
        Assert.Equal(id, (string?)Assert.Single(all)!["id"]);
        var namespaces = (await plane.Sim.Client.CoreV1.ListNamespaceAsync(labelSelector: "app.kubernetes.io/managed-by=urumi")).Items;
        Assert.Equal(id, Assert.Single(namespaces).Metadata.Name);
    }

    [Fact]
    public async Task From_its_202_on_a_store_is_listed_and_its_events_read_and_it_can_be_deleted()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);

        var id = await ControlPlane.CreateStoreAsync(alice, "early");
        var listed = (await ControlPlane.ReadAsync(await alice.GetAsync("/api/stores")))!["items"]!.AsArray();
        var events = await alice.GetAsync($"/api/stores/{id}/events");
        var got = await alice.GetAsync($"/api/stores/{id}");
        var retry = await alice.PostAsync($"/api/stores/{id}/retry", null);
        var delete = await alice.DeleteAsync($"/api/stores/{id}");

        Assert.Equal(id, (string?)Assert.Single(listed)!["id"]);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal((HttpStatusCode.Conflict, "https://urumi.dev/problems/not-failed"), (retry.StatusCode, (string?)(await ControlPlane.ReadAsync(retry))!["type"]));
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        await plane.WaitForPhaseAsync(id, "Deleted");
    }

    [Fact]
    public async Task Idempotency_keys_names_and_the_per_owner_limit()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Urumi__MaxActiveStoresPerOwner"] = "2" });
        using var alice = plane.As(ControlPlane.AliceKey);

        var first = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "woocommerce" }, idempotencyKey: "req-1");
        var again = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "woocommerce" }, idempotencyKey: "req-1");
        var reused = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "medusa" }, idempotencyKey: "req-1");
        Assert.Equal(HttpStatusCode.Accepted, first.Response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.Response.StatusCode);
        Assert.Equal((string?)first.Body!["store"]!["id"], (string?)again.Body!["store"]!["id"]);
        Assert.Equal(first.Response.Headers.Location, again.Response.Headers.Location);
        Assert.Equal((HttpStatusCode)422, reused.Response.StatusCode);

        var taken = await ControlPlane.CreateAsync(alice, new { name = "one", engine = "medusa" });
        Assert.Equal(HttpStatusCode.Conflict, taken.Response.StatusCode);
        Assert.NotNull(taken.Body!["errors"]!["name"]);

        await ControlPlane.CreateStoreAsync(alice, "two");
        await Eventually.Until(async () => (await ControlPlane.ReadAsync(await alice.GetAsync("/api/stores")))!["items"]!.AsArray().Count, n => n == 2, TimeSpan.FromSeconds(30), "both stores recorded");
        var over = await ControlPlane.CreateAsync(alice, new { name = "three", engine = "woocommerce" });
        Assert.Equal(HttpStatusCode.Forbidden, over.Response.StatusCode);
        Assert.Equal("https://urumi.dev/problems/store-limit", (string?)over.Body!["type"]);

        // Another owner is not limited by alice's stores, and may use the same name.
        using var bob = plane.As(ControlPlane.BobKey);
        Assert.Equal(HttpStatusCode.Accepted, (await ControlPlane.CreateAsync(bob, new { name = "one", engine = "woocommerce" })).Response.StatusCode);
        var instances = new List<string>();
        await foreach (var i in plane.Storage().GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = "one-" }))
        {
            instances.Add(i.InstanceId);
        }
        Assert.Equal(2, instances.Count);
    }

    [Fact]
    public async Task Of_simultaneous_requests_for_one_name_exactly_one_creates_a_store()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ControlPlane.CreateAsync(alice, new { name = "rush", engine = "woocommerce" })));

        var accepted = Assert.Single(answers, a => a.Response.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal(HttpStatusCode.Conflict, a.Response.StatusCode));
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal((string?)accepted.Body!["store"]!["id"], (string?)a.Body!["storeId"]));
        var instances = new List<string>();
        await foreach (var i in plane.Storage().GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = "rush-" }))
        {
            instances.Add(i.InstanceId);
        }
        Assert.Single(instances);
    }

    [Fact]
    public async Task Of_simultaneous_requests_for_different_names_no_more_than_the_active_limit_create_stores()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Urumi__MaxActiveStoresPerOwner"] = "2" });
        using var alice = plane.As(ControlPlane.AliceKey);
        var names = Enumerable.Range(1, 6).Select(i => $"wave-{i}").ToList();

        var answers = await Task.WhenAll(names.Select(name => ControlPlane.CreateAsync(alice, new { name, engine = "woocommerce" })));

        var accepted = answers.Where(a => a.Response.StatusCode == HttpStatusCode.Accepted).ToList();
        Assert.True(accepted.Count == 2, string.Join("; ", answers.Select(a => $"{(int)a.Response.StatusCode} {a.Body}")));
        Assert.All(answers.Except(accepted), a => Assert.Equal("store-limit", ((string?)a.Body!["type"])?.Split('/').Last()));
        var instances = new List<string>();
        await foreach (var i in plane.Storage().GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = "wave-" }))
        {
            instances.Add(i.InstanceId);
        }
        Assert.Equal(2, instances.Count);
        // A refused request gives its name back: only the two accepted names are claimed.
        var claims = new Azure.Data.Tables.TableClient(plane.App.ConnectionString, plane.App.Hub + "StoreClaims");
        var claimed = new List<string>();
        await foreach (var row in claims.QueryAsync<Azure.Data.Tables.TableEntity>("PartitionKey eq 'alice'"))
        {
            claimed.Add(row.RowKey);
        }
        Assert.Equal(accepted.Select(a => (string)a.Body!["store"]!["name"]!).Order(StringComparer.Ordinal).Concat(["~active-0", "~active-1"]), claimed.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Info_announces_the_cluster_to_key_holders_and_health_checks_storage_and_cluster()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm4");
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };

        var info = (await ControlPlane.ReadAsync(await plane.As(ControlPlane.BobKey).GetAsync("/api/info")))!;
        var health = await anonymous.GetAsync("/api/health");

        Assert.Equal("Kubeconfig", (string?)info["cluster"]!["mode"]);
        Assert.False((bool)info["cluster"]!["simulated"]!);
        Assert.Equal("v4.1.4", (string?)info["helm"]!["version"]);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Live;

/// <summary>The API additions the dashboard uses: name search, the admin's owner filter, /api/me, audit export.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class DashboardApiTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task Names_owners_slots_and_audit_exports_are_served_to_the_right_keys()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);
        var shoes = await ControlPlane.CreateStoreAsync(alice, "shoes");
        var shirts = await ControlPlane.CreateStoreAsync(alice, "shirts");
        var socks = await ControlPlane.CreateStoreAsync(bob, "socks");
        foreach (var id in new[] { shoes, shirts, socks })
        {
            await plane.WaitForPhaseAsync(id, "Ready");
        }

        Assert.Equal([shirts, shoes], await IdsAsync(alice, "/api/stores?name=sh"));
        Assert.Equal([shoes], await IdsAsync(alice, "/api/stores?name=shoe"));
        Assert.Empty(await IdsAsync(alice, "/api/stores?name=socks"));
        Assert.Equal(new[] { socks, shoes, shirts }.Order(), await IdsAsync(plane.Admin, "/api/stores?name=s"));
        Assert.Equal([socks], await IdsAsync(plane.Admin, "/api/stores?owner=bob"));
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync("/api/stores?owner=bob")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync("/api/stores?name=Sh")).StatusCode);

        var me = await ControlPlane.ReadAsync(await alice.GetAsync("/api/me"));
        Assert.Equal(("alice", false, 2, 1), ((string?)me!["owner"], (bool)me["isAdmin"]!, (int)me["activeStores"]!, (int)me["freeSlots"]!));
        Assert.True((bool)(await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/me")))!["isAdmin"]!);
        using var wrong = plane.As("wrong-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/me")).StatusCode);

        await ControlPlane.WaitForEventsAsync(alice, $"/api/audit?store={shoes}", e => (string?)e["kind"] == "finished");
        var csv = await alice.GetAsync($"/api/audit?store={shoes}&format=csv");
        var csvText = await csv.Content.ReadAsStringAsync();
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", csv.Content.Headers.ContentDisposition?.DispositionType);
        Assert.StartsWith("at,endedAt,storeId,", csvText);
        Assert.Contains($",{shoes},{shoes}.provision.1,create,step,InstallRelease,succeeded,,alice,", csvText);
        var ndjson = await (await alice.GetAsync("/api/audit?format=ndjson")).Content.ReadAsStringAsync();
        var rows = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(rows, r => (string?)r["storeId"] == shirts);
        Assert.DoesNotContain(rows, r => (string?)r["storeId"] == socks);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync("/api/audit?format=xml")).StatusCode);
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await ControlPlane.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return body!["items"]!.AsArray().Select(i => (string)i!["id"]!).Order().ToList();
    }
}

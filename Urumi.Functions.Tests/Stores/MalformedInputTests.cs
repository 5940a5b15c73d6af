using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

/// <summary>
/// Issue 19 case 2, input by input: malformed input is a 400 problem naming the field, never a 500 and never read as
/// something other than what was sent.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class MalformedInputTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task A_lone_surrogate_or_a_repeated_field_in_the_store_body_is_a_400_naming_the_field()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite);
        using var alice = plane.As(ControlPlane.AliceKey);

        await ExpectFieldAsync(alice, """{"name": "shop\ud800", "engine": "woocommerce"}""", "name");
        await ExpectFieldAsync(alice, """{"name": "shop", "engine": "woo\udfffcommerce"}""", "engine");
        await ExpectFieldAsync(alice, """{"name": "shop", "engine": "woocommerce", "plan": "\ud800"}""", "plan");
        await ExpectFieldAsync(alice, """{"name": "shop", "engine": "woocommerce", "\ud800": 1}""", "body");
        await ExpectFieldAsync(alice, """{"name": "shop", "engine": "medusa", "engine": "woocommerce"}""", "engine");

        var stores = await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores"));
        Assert.Empty(stores!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_status_list_or_repeated_status_lists_the_stores_in_any_of_the_phases()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite);
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await ControlPlane.CreateStoreAsync(alice, "listed");
        await plane.WaitForPhaseAsync(id, "Ready");

        Assert.Equal([id], await IdsAsync(alice, "status=Provisioning,Ready"));
        Assert.Equal([id], await IdsAsync(alice, "status=Queued&status=Ready"));
        Assert.Equal([id], await IdsAsync(alice, "status=failed, ready"));
        Assert.Empty(await IdsAsync(alice, "status=Queued,Provisioning"));
        Assert.Empty(await IdsAsync(alice, "status=Failed&status=Deleted"));
        await ExpectQueryAsync(alice, "/api/stores?status=Queued,,Ready", "status");
        await ExpectQueryAsync(alice, "/api/stores?status=2", "status");
        await ExpectQueryAsync(alice, "/api/stores?limit=5&limit=6", "limit");
        await ExpectQueryAsync(alice, "/api/stores?engine=medusa&engine=woocommerce", "engine");
        await ExpectQueryAsync(alice, "/api/stores?stauts=Ready", "stauts");
    }

    [Fact]
    public async Task A_continuation_token_the_list_did_not_give_is_a_400_naming_it()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite);
        using var alice = plane.As(ControlPlane.AliceKey);
        var first = await ControlPlane.CreateStoreAsync(alice, "first");
        var second = await ControlPlane.CreateStoreAsync(alice, "second");
        await plane.WaitForPhaseAsync(first, "Ready");
        await plane.WaitForPhaseAsync(second, "Ready");

        var page = (await ControlPlane.ReadAsync(await alice.GetAsync("/api/stores?limit=1")))!;
        var token = (string)page["continuationToken"]!;
        var next = (await ControlPlane.ReadAsync(await alice.GetAsync($"/api/stores?limit=1&continuationToken={Uri.EscapeDataString(token)}")))!;

        var both = new[] { (string)page["items"]![0]!["id"]!, (string)next["items"]![0]!["id"]! };
        Assert.Equal(new[] { first, second }.Order(), both.Order());
        await ExpectQueryAsync(alice, "/api/stores?continuationToken=not-a-token", "continuationToken");
        await ExpectQueryAsync(alice, $"/api/stores?continuationToken={Uri.EscapeDataString(token)}x", "continuationToken");
        await ExpectQueryAsync(alice, $"/api/stores?status=Ready&continuationToken={Uri.EscapeDataString(token)}", "continuationToken");
        await ExpectQueryAsync(alice, "/api/stores?continuationToken=" + Convert.ToBase64String(Encoding.UTF8.GetBytes("1!8!YWxpY2U- 1!4!eA--")), "continuationToken");
    }

    [Fact]
    public async Task Malformed_headers_parameters_and_instance_ids_are_400s_naming_them_on_every_route()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite);
        using var alice = plane.As(ControlPlane.AliceKey);

        await ExpectQueryAsync(alice, "/api/audit?from=5/6", "from");
        await ExpectQueryAsync(alice, "/api/audit?format=csv&format=json", "format");
        await ExpectQueryAsync(alice, "/api/audit?format=1", "format");
        await ExpectQueryAsync(plane.Admin, "/runtime/webhooks/durabletask/instances/a%23b", "instanceId");
        await ExpectQueryAsync(plane.Admin, "/runtime/webhooks/durabletask/instances?top=ten", "top");
        await ExpectQueryAsync(plane.Admin, "/runtime/webhooks/durabletask/instances?runtimeStatus=Running&runtimeStatus=Failed", "runtimeStatus");
        await ExpectQueryAsync(alice, "/api/stores/stream", "Last-Event-ID", ("Last-Event-ID", "yesterday"));
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };
        await ExpectQueryAsync(anonymous, "/api/me", "x-functions-key", ("x-functions-key", ControlPlane.AliceKey), ("x-functions-key", ControlPlane.BobKey));

        using var twice = new HttpRequestMessage(HttpMethod.Post, "/api/stores")
        {
            Content = new StringContent("""{"name": "twice", "engine": "woocommerce"}""", Encoding.UTF8, "application/json"),
        };
        twice.Headers.TryAddWithoutValidation("Idempotency-Key", ["one", "two"]);
        await ExpectAsync(await alice.SendAsync(twice), "Idempotency-Key");
        using var jsonx = new StringContent("""{"name": "shop", "engine": "woocommerce"}""", Encoding.UTF8, "application/jsonx");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await alice.PostAsync("/api/stores", jsonx)).StatusCode);
        var stores = await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores"));
        Assert.Empty(stores!["items"]!.AsArray());
    }

    private static async Task<string[]> IdsAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/api/stores?{query}");
        var body = await ControlPlane.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"?{query} -> {(int)response.StatusCode}: {body}");
        return [.. body!["items"]!.AsArray().Select(s => (string)s!["id"]!)];
    }

    private static async Task ExpectFieldAsync(HttpClient client, string json, string field) =>
        await ExpectAsync(await client.PostAsync("/api/stores", new StringContent(json, Encoding.UTF8, "application/json")), field);

    private static async Task ExpectQueryAsync(HttpClient client, string path, string field, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        await ExpectAsync(await client.SendAsync(request), field);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        var where = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery}";
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{where} -> {(int)response.StatusCode}, not 400: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonNode.Parse(text)!["errors"]?.AsObject();
        Assert.True(errors?.ContainsKey(field) == true, $"{where}: the problem does not name {field}: {text}");
    }
}

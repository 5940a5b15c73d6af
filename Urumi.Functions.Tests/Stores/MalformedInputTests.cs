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
        await ExpectQueryAsync(alice, $"/api/stores?continuationToken={Uri.EscapeDataString(token)}%21", "continuationToken");
        await ExpectQueryAsync(alice, $"/api/stores?continuationToken={Uri.EscapeDataString(token)}&continuationToken={Uri.EscapeDataString(token)}", "continuationToken");
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
        // HttpClient joins a repeated header into one line; a raw request sends the lines apart, as a client may.
        await ExpectRawAsync(plane, $"GET /api/me HTTP/1.1\nx-functions-key: {ControlPlane.AliceKey}\nx-functions-key: {ControlPlane.BobKey}\n", "x-functions-key");
        await ExpectRawAsync(plane, $"POST /api/stores HTTP/1.1\nx-functions-key: {ControlPlane.AliceKey}\nIdempotency-Key: one\nIdempotency-Key: two\n"
            + "Content-Type: application/json\nContent-Length: 42\n\n{\"name\": \"twice\", \"engine\": \"woocommerce\"}", "Idempotency-Key");
        await ExpectRawAsync(plane, $"GET /api/stores?code={ControlPlane.AliceKey}&code={ControlPlane.BobKey} HTTP/1.1\n", "code");
        using var jsonx = new StringContent("""{"name": "shop", "engine": "woocommerce"}""", Encoding.UTF8, "application/jsonx");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await alice.PostAsync("/api/stores", jsonx)).StatusCode);
        var stores = await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/stores"));
        Assert.Empty(stores!["items"]!.AsArray());
    }

    /// <summary>Sends <paramref name="request"/> (its request line and headers, maybe a body) as written, and expects a 400 naming <paramref name="field"/>.</summary>
    private static async Task ExpectRawAsync(ControlPlane plane, string request, string field)
    {
        var address = plane.Admin.BaseAddress!;
        var split = request.IndexOf("\n\n", StringComparison.Ordinal);
        var (head, body) = split < 0 ? (request.TrimEnd('\n'), "") : (request[..split], request[(split + 2)..]);
        var text = head.Replace("\n", "\r\n") + $"\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n" + body;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text));
        var answer = await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync();
        Assert.True(answer.StartsWith("HTTP/1.1 400 ", StringComparison.Ordinal), $"{head.Split('\n')[0]} -> {answer}");
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Matches($"\"errors\":\\{{[^}}]*\"{field}\"", answer);
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

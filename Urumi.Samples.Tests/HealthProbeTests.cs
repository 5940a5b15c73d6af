using System.Net;
using System.Text.Json.Nodes;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>The self-host's /health (readiness: the task hub's storage) and /alive (liveness), as health checks.</summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task Health_is_a_503_naming_no_address_while_storage_is_down_and_alive_stays_200()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var app = await FunctionApp.StartAsync(azurite.ConnectionString, "HealthProbe");
        using var anonymous = new HttpClient { BaseAddress = app.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var up = await anonymous.GetAsync("/health");

        (HttpStatusCode Code, string Body, string? Type) down = (0, "", null), alive = (0, "", null);
        await azurite.RestartAsync(async () =>
        {
            down = await ReadAsync(anonymous, "/health");
            alive = await ReadAsync(anonymous, "/alive");
        });
        var back = await Eventually.Until(() => ReadAsync(anonymous, "/health"), r => r.Code == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "/health to be 200 again");

        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Code);
        Assert.Equal("application/problem+json", down.Type);
        Assert.Contains("storage-unavailable", down.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", down.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("devstoreaccount", down.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("HealthProbe", down.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, alive.Code);
        Assert.Equal("Alive", JsonNode.Parse(alive.Body)!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", JsonNode.Parse(back.Body)!["status"]!.GetValue<string>());
    }

    private static async Task<(HttpStatusCode Code, string Body, string? Type)> ReadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>
/// The management API as a Worker.Sdk app serves it (wired, guarded by the admin key) and the samples' HTTP starter.
/// Each route's status codes and payloads are tested once, in Urumi.Hosting.Tests/Management.
/// </summary>
public sealed class ManagementApiContractTests(SamplesAppFixture fixture) : IClassFixture<SamplesAppFixture>
{
    private const string Base = "/runtime/webhooks/durabletask";
    private HttpClient Http => fixture.App.Http;

    [Fact]
    public async Task Starting_through_the_management_API_returns_202_with_the_check_status_payload()
    {
        var response = await Http.PostAsync($"{Base}/orchestrators/HelloSequence/mgmt-start-{Guid.NewGuid():N}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var payload = await response.Content.ReadFromJsonAsync<JsonObject>();
        var id = payload!["id"]!.GetValue<string>();
        var instance = $"http://127.0.0.1:{fixture.App.Port}{Base}/instances/{id}";
        foreach (var (field, uri) in CheckStatusPayload.Uris(instance))
        {
            Assert.Equal(uri, payload[field]!.GetValue<string>());
        }
        Assert.Equal(instance, response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_missing_or_wrong_key_is_401_problem_json_and_function_keys_cannot_manage()
    {
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress };
        using var functionKey = new HttpClient { BaseAddress = Http.BaseAddress };
        functionKey.DefaultRequestHeaders.Add("x-functions-key", FunctionApp.FunctionKey);

        var noKey = await anonymous.GetAsync($"{Base}/instances");
        var wrongKey = await anonymous.GetAsync($"{Base}/instances?code=wrong");
        var notAdmin = await functionKey.GetAsync($"{Base}/instances");
        var byQuery = await anonymous.GetAsync($"{Base}/instances?code={FunctionApp.AdminKey}");
        var starterNoKey = await anonymous.PostAsync("/api/orchestrators/HelloSequence", null);
        var starterWithKey = await functionKey.PostAsync("/api/orchestrators/HelloSequence", null);

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("application/problem+json", noKey.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, notAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, starterNoKey.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, starterWithKey.StatusCode);
    }

    [Fact]
    public async Task The_generic_starter_runs_each_sample_to_its_documented_output()
    {
        var hello = await StartAsync("HelloSequence", null);
        var fan = await StartAsync("FanOutFanIn", 20);
        var timeout = await StartAsync("Approval", 1);

        Assert.Equal(CrashRecovery.HelloSequenceOutput,
            (await WaitStatusAsync(hello, "Completed"))["output"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(1, 20).Sum(i => i * i), (await WaitStatusAsync(fan, "Completed"))["output"]!.GetValue<long>());
        Assert.Equal("timed out", (await WaitStatusAsync(timeout, "Completed"))["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_and_alive_answer_without_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/alive")).StatusCode);
        var health = await anonymous.GetFromJsonAsync<JsonObject>("/health");
        Assert.Equal("Healthy", health!["status"]!.GetValue<string>());
    }

    private async Task<string> StartAsync(string name, object? input, string? id = null)
    {
        var response = await Http.PostAsync($"/api/orchestrators/{name}{(id is null ? "" : "/" + id)}", input is null ? null : JsonContent.Create(input));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private Task<JsonObject> WaitStatusAsync(string id, string status) =>
        Eventually.Until(async () => (await Http.GetFromJsonAsync<JsonObject>($"{Base}/instances/{id}"))!,
            b => b["runtimeStatus"]!.GetValue<string>() == status, TimeSpan.FromSeconds(30), $"{id} to be {status}");
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>Routes, status codes and payloads of the management API and the samples' HTTP functions.</summary>
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
        Assert.Equal(instance, payload["statusQueryGetUri"]!.GetValue<string>());
        Assert.Equal(instance + "/raiseEvent/{eventName}", payload["sendEventPostUri"]!.GetValue<string>());
        Assert.Equal(instance + "/terminate?reason={text}", payload["terminatePostUri"]!.GetValue<string>());
        Assert.Equal(instance, payload["purgeHistoryDeleteUri"]!.GetValue<string>());
        Assert.Equal(instance + "/restart", payload["restartPostUri"]!.GetValue<string>());
        Assert.Equal(instance + "/suspend?reason={text}", payload["suspendPostUri"]!.GetValue<string>());
        Assert.Equal(instance + "/resume?reason={text}", payload["resumePostUri"]!.GetValue<string>());
        Assert.Equal(instance, response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Starting_an_unknown_orchestrator_or_with_bad_JSON_is_400_problem_json()
    {
        var unknown = await Http.PostAsync($"{Base}/orchestrators/NoSuchThing", null);
        var badJson = await Http.PostAsync($"{Base}/orchestrators/HelloSequence", new StringContent("{not json", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal("application/problem+json", badJson.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Status_is_202_while_running_and_200_with_output_and_history_when_completed()
    {
        var id = await StartAsync("Approval", 60);
        var running = await Http.GetAsync($"{Base}/instances/{id}");
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.NotNull(running.Headers.Location);
        Assert.NotNull(running.Headers.RetryAfter);
        var body = await running.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains(body!["runtimeStatus"]!.GetValue<string>(), new[] { "Pending", "Running" });
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body["createdTime"]!.GetValue<string>());

        await WaitStatusAsync(id, "Running");
        var raised = await Http.PostAsync($"{Base}/instances/{id}/raiseEvent/Approval", JsonContent.Create(true));
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        var done = await WaitStatusAsync(id, "Completed");
        var withHistory = await Http.GetFromJsonAsync<JsonObject>($"{Base}/instances/{id}?showHistory=true&showHistoryOutput=true");

        Assert.Equal("approved", done["output"]!.GetValue<string>());
        Assert.Equal("Approval", done["name"]!.GetValue<string>());
        var events = withHistory!["historyEvents"]!.AsArray().Select(e => e!["EventType"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("OrchestratorStarted", events);
        Assert.DoesNotContain("OrchestratorCompleted", events);
        Assert.Equal(["ExecutionStarted", "TimerCreated", "EventRaised", "ExecutionCompleted"], events);
    }

    [Fact]
    public async Task History_merges_TaskScheduled_into_TaskCompleted_rows()
    {
        var id = await StartAsync("HelloSequence", null);
        await WaitStatusAsync(id, "Completed");

        var body = await Http.GetFromJsonAsync<JsonObject>($"{Base}/instances/{id}?showHistory=true&showHistoryOutput=true");
        var completed = body!["historyEvents"]!.AsArray().Where(e => e!["EventType"]!.GetValue<string>() == "TaskCompleted").ToList();

        Assert.Equal(5, completed.Count);
        Assert.All(completed, e =>
        {
            Assert.Equal("SayHello", e!["FunctionName"]!.GetValue<string>());
            Assert.NotNull(e["ScheduledTime"]);
            Assert.NotNull(e["Timestamp"]);
            Assert.StartsWith("Hello ", e["Result"]!.GetValue<string>());
        });
        Assert.DoesNotContain(body["historyEvents"]!.AsArray(), e => e!["EventType"]!.GetValue<string>() == "TaskScheduled");
    }

    [Fact]
    public async Task Unknown_instances_are_404_for_every_instance_route()
    {
        var id = "missing-" + Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{Base}/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync($"{Base}/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"{Base}/instances/{id}/raiseEvent/x", JsonContent.Create(1))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"{Base}/instances/{id}/terminate?reason=x", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"{Base}/instances/{id}/suspend", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"{Base}/instances/{id}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync($"{Base}/instances/{id}/restart", null)).StatusCode);
    }

    [Fact]
    public async Task Completed_instances_are_410_for_events_terminate_and_suspend()
    {
        var id = await StartAsync("HelloSequence", null);
        await WaitStatusAsync(id, "Completed");

        Assert.Equal(HttpStatusCode.Gone, (await Http.PostAsync($"{Base}/instances/{id}/raiseEvent/x", JsonContent.Create(1))).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await Http.PostAsync($"{Base}/instances/{id}/terminate?reason=x", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await Http.PostAsync($"{Base}/instances/{id}/suspend", null)).StatusCode);
    }

    [Fact]
    public async Task Raising_an_event_with_a_non_JSON_body_is_400()
    {
        var id = await StartAsync("Approval", 60);

        var response = await Http.PostAsync($"{Base}/instances/{id}/raiseEvent/Approval", new StringContent("yes please", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Terminate_suspend_and_resume_are_202_and_take_effect()
    {
        var id = await StartAsync("Approval", 60);
        await WaitStatusAsync(id, "Running");

        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsync($"{Base}/instances/{id}/suspend?reason=pause", null)).StatusCode);
        await WaitStatusAsync(id, "Suspended");
        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsync($"{Base}/instances/{id}/resume?reason=go", null)).StatusCode);
        await WaitStatusAsync(id, "Running");
        Assert.Equal(HttpStatusCode.Accepted, (await Http.PostAsync($"{Base}/instances/{id}/terminate?reason=enough", null)).StatusCode);
        var terminated = await WaitStatusAsync(id, "Terminated");

        Assert.Equal("enough", terminated["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task Restart_returns_a_check_status_payload_for_the_new_instance()
    {
        var id = await StartAsync("HelloSequence", null);
        await WaitStatusAsync(id, "Completed");

        var response = await Http.PostAsync($"{Base}/instances/{id}/restart", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var newId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.NotEqual(id, newId);
        await WaitStatusAsync(newId, "Completed");
    }

    [Fact]
    public async Task Listing_filters_by_status_and_prefix_and_pages_with_the_continuation_header()
    {
        var prefix = "list-" + Guid.NewGuid().ToString("N")[..8] + "-";
        for (var i = 0; i < 3; i++)
        {
            await StartAsync("HelloSequence", null, prefix + i);
        }
        foreach (var i in Enumerable.Range(0, 3))
        {
            await WaitStatusAsync(prefix + i, "Completed");
        }

        var first = await Http.GetAsync($"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Completed,Failed&top=2");
        var token = first.Headers.GetValues("x-ms-continuation-token").Single();
        using var next = new HttpRequestMessage(HttpMethod.Get, $"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Completed&top=2");
        next.Headers.Add("x-ms-continuation-token", token);
        var second = await Http.SendAsync(next);
        var none = await Http.GetFromJsonAsync<JsonArray>($"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Running");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, (await first.Content.ReadFromJsonAsync<JsonArray>())!.Count);
        Assert.Single((await second.Content.ReadFromJsonAsync<JsonArray>())!);
        Assert.Empty(none!);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync($"{Base}/instances?runtimeStatus=Sleeping")).StatusCode);
    }

    [Fact]
    public async Task Purge_of_one_and_of_a_filter_report_how_many_were_deleted()
    {
        var id = await StartAsync("HelloSequence", null);
        await WaitStatusAsync(id, "Completed");
        var since = DateTime.UtcNow.AddSeconds(-1).ToString("o");

        var one = await Http.DeleteAsync($"{Base}/instances/{id}");
        var again = await Http.DeleteAsync($"{Base}/instances/{id}");
        var later = await StartAsync("HelloSequence", null);
        await WaitStatusAsync(later, "Completed");
        var many = await Http.DeleteAsync($"{Base}/instances?createdTimeFrom={Uri.EscapeDataString(since)}&runtimeStatus=Completed");
        var none = await Http.DeleteAsync($"{Base}/instances?createdTimeFrom={Uri.EscapeDataString(DateTime.UtcNow.AddDays(1).ToString("o"))}");

        Assert.Equal(1, (await one.Content.ReadFromJsonAsync<JsonObject>())!["instancesDeleted"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.True((await many.Content.ReadFromJsonAsync<JsonObject>())!["instancesDeleted"]!.GetValue<int>() >= 1);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
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

        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!", "Hello Cairo!", "Hello Lima!"],
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

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Testing;
using Urumi.Hosting.Tests.Client;

namespace Urumi.Hosting.Tests.Management;

/// <summary>Routes, status codes and payloads of the management API (the contract Urumi's tests check).</summary>
public sealed class ManagementApiTests(ManagementApiHost host) : IClassFixture<ManagementApiHost>
{
    private const string Base = "/runtime/webhooks/durabletask";
    private static readonly JsonSerializerOptions SdkJson = new();
    private HttpClient Http => host.Http;

    [Fact]
    public async Task Starting_returns_202_with_the_check_status_payload_and_Location()
    {
        var response = await Http.PostAsync($"{Base}/orchestrators/greeting/{NewId("start")}", Json("Tokyo"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var payload = await response.Content.ReadFromJsonAsync<JsonObject>();
        var id = payload!["id"]!.GetValue<string>();
        var instance = $"{host.BaseAddress.ToString().TrimEnd('/')}{Base}/instances/{id}";
        foreach (var (field, uri) in CheckStatusPayload.Uris(instance))
        {
            Assert.Equal(uri, payload[field]!.GetValue<string>());
        }
        Assert.Equal(instance, response.Headers.Location!.ToString());
        var done = await WaitStatusAsync(id, "Completed");
        Assert.Equal("Hello Tokyo!", done["output"]!.GetValue<string>());
        Assert.Equal(TestOrchestrations.Greeting, done["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Starting_an_unknown_orchestrator_with_bad_JSON_or_a_bad_id_is_400_and_a_live_id_is_409()
    {
        var id = await StartApprovalAsync("dup");

        var unknown = await Http.PostAsync($"{Base}/orchestrators/NoSuchThing", null);
        var badJson = await Http.PostAsync(
            $"{Base}/orchestrators/Greeting", new StringContent("{not json", Encoding.UTF8, "application/json"));
        var badId = await Http.PostAsync($"{Base}/orchestrators/Greeting/a%23b", Json("x"));
        var duplicate = await Http.PostAsync($"{Base}/orchestrators/Approval/{id}", Json(new Order(id, 2)));

        await AssertProblemAsync(unknown, HttpStatusCode.BadRequest, "unknown-orchestrator");
        await AssertProblemAsync(badJson, HttpStatusCode.BadRequest, "invalid-json");
        await AssertProblemAsync(badId, HttpStatusCode.BadRequest, "invalid-instance-id");
        await AssertProblemAsync(duplicate, HttpStatusCode.Conflict, "instance-exists");
        await Http.PostAsync($"{Base}/instances/{id}/terminate", null);
    }

    [Fact]
    public async Task Status_is_202_while_running_and_200_with_output_and_history_when_completed()
    {
        var id = await StartApprovalAsync("status");

        var running = await Http.GetAsync($"{Base}/instances/{id}");
        var body = await running.Content.ReadFromJsonAsync<JsonObject>();
        var raised = await Http.PostAsync(
            $"{Base}/instances/{id}/raiseEvent/Approval", Json(new Decision(true, "ana")));
        var done = await WaitStatusAsync(id, "Completed");
        var withHistory = await Http.GetFromJsonAsync<JsonObject>(
            $"{Base}/instances/{id}?showHistory=true&showHistoryOutput=true");
        var withoutInput = await Http.GetFromJsonAsync<JsonObject>($"{Base}/instances/{id}?showInput=false");

        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.Equal(
            $"{host.BaseAddress.ToString().TrimEnd('/')}{Base}/instances/{id}", running.Headers.Location!.ToString());
        Assert.NotNull(running.Headers.RetryAfter);
        Assert.Equal("Running", body!["runtimeStatus"]!.GetValue<string>());
        Assert.Equal("waiting", body["customStatus"]!["stage"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body["createdTime"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        Assert.Equal("ana", done["output"]!["By"]!.GetValue<string>());
        Assert.Equal(id, done["input"]!["Id"]!.GetValue<string>());
        Assert.Null(withoutInput!["input"]);
        var events = withHistory!["historyEvents"]!.AsArray().Select(e => e!["EventType"]!.GetValue<string>()).ToList();
        Assert.Equal(["ExecutionStarted", "EventRaised", "ExecutionCompleted"], events);
        Assert.Equal("Approval", withHistory["historyEvents"]![1]!["Name"]!.GetValue<string>());
    }

    [Fact]
    public async Task History_merges_TaskScheduled_into_TaskCompleted_rows()
    {
        var id = await StartAsync("Greeting", "Lima");
        await WaitStatusAsync(id, "Completed");

        var body = await Http.GetFromJsonAsync<JsonObject>(
            $"{Base}/instances/{id}?showHistory=true&showHistoryOutput=true");

        var rows = body!["historyEvents"]!.AsArray();
        var completed = Assert.Single(rows, e => e!["EventType"]!.GetValue<string>() == "TaskCompleted")!;
        Assert.Equal(TestOrchestrations.SayHello, completed["FunctionName"]!.GetValue<string>());
        Assert.NotNull(completed["ScheduledTime"]);
        Assert.NotNull(completed["Timestamp"]);
        Assert.Equal("Hello Lima!", completed["Result"]!.GetValue<string>());
        Assert.DoesNotContain(rows, e =>
            e!["EventType"]!.GetValue<string>() is "TaskScheduled" or "OrchestratorStarted" or "OrchestratorCompleted");
    }

    [Fact]
    public async Task A_failed_instance_shows_its_error_as_output_and_its_failure_details()
    {
        var id = await StartAsync("Failing", new Order("o-9", -2));

        var failed = await WaitStatusAsync(id, "Failed");

        Assert.Equal("Order o-9 has an invalid quantity -2.", failed["output"]!.GetValue<string>());
        var errorType = failed["failureDetails"]!["errorType"]!.GetValue<string>();
        Assert.Equal(typeof(InvalidOperationException).FullName, errorType);
        Assert.Contains(nameof(TestOrchestrations), failed["failureDetails"]!["stackTrace"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_instances_are_404_for_every_instance_route()
    {
        var id = NewId("missing");

        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{Base}/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync($"{Base}/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await PostStatusAsync($"/instances/{id}/raiseEvent/x", Json(1)));
        Assert.Equal(HttpStatusCode.NotFound, await PostStatusAsync($"/instances/{id}/terminate?reason=x", null));
        Assert.Equal(HttpStatusCode.NotFound, await PostStatusAsync($"/instances/{id}/suspend", null));
        Assert.Equal(HttpStatusCode.NotFound, await PostStatusAsync($"/instances/{id}/resume", null));
        Assert.Equal(HttpStatusCode.NotFound, await PostStatusAsync($"/instances/{id}/restart", null));
    }

    [Fact]
    public async Task Completed_instances_are_410_for_events_terminate_and_suspend()
    {
        var id = await StartAsync("Greeting", "Oslo");
        await WaitStatusAsync(id, "Completed");

        Assert.Equal(HttpStatusCode.Gone, await PostStatusAsync($"/instances/{id}/raiseEvent/x", Json(1)));
        Assert.Equal(HttpStatusCode.Gone, await PostStatusAsync($"/instances/{id}/terminate?reason=x", null));
        Assert.Equal(HttpStatusCode.Gone, await PostStatusAsync($"/instances/{id}/suspend", null));
    }

    [Fact]
    public async Task Raising_an_event_with_a_non_JSON_body_is_400()
    {
        var id = await StartApprovalAsync("nonjson");

        var response = await Http.PostAsync(
            $"{Base}/instances/{id}/raiseEvent/Approval", new StringContent("yes please", Encoding.UTF8, "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-json");
        await Http.PostAsync($"{Base}/instances/{id}/terminate", null);
    }

    [Fact]
    public async Task An_event_payload_its_orchestrator_cannot_read_fails_the_instance_when_sent_past_the_API()
    {
        var id = await StartApprovalAsync("unreadable-direct");

        await host.Engine.Client.RaiseEventAsync(id, ManagementApiHost.ApprovalEvent, "yes");

        await WaitStatusAsync(id, "Failed");
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("{\"approved\":\"maybe\",\"by\":\"ana\"}")]
    [InlineData("{\"approved\":true}")]
    [InlineData("null")]
    [InlineData("")]
    public async Task Raising_a_registered_event_with_a_payload_its_orchestrator_cannot_read_is_400_and_it_keeps_waiting(
        string body)
    {
        var id = await StartApprovalAsync("unreadable");

        var refused = await Http.PostAsync($"{Base}/instances/{id}/raiseEvent/approval",
            new StringContent(body, Encoding.UTF8, "application/json"));
        var unregistered = await PostStatusAsync($"/instances/{id}/raiseEvent/SomethingElse", Json("anything"));
        var read = await PostStatusAsync($"/instances/{id}/raiseEvent/Approval", Json(new Decision(true, "ana")));

        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("https://urumi.dev/problems/invalid-event-payload", problem["type"]!.GetValue<string>());
        Assert.Contains("as a JSON object of Decision", problem["errors"]!["body"]![0]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, unregistered);
        Assert.Equal(HttpStatusCode.Accepted, read);
        Assert.Equal("ana", (await WaitStatusAsync(id, "Completed"))["output"]!["By"]!.GetValue<string>());
    }

    [Fact]
    public async Task Terminate_suspend_and_resume_are_202_and_take_effect()
    {
        var id = await StartApprovalAsync("control");

        Assert.Equal(HttpStatusCode.Accepted, await PostStatusAsync($"/instances/{id}/suspend?reason=pause", null));
        await WaitStatusAsync(id, "Suspended");
        Assert.Equal(HttpStatusCode.Accepted, await PostStatusAsync($"/instances/{id}/resume?reason=go", null));
        await WaitStatusAsync(id, "Running");
        Assert.Equal(HttpStatusCode.Accepted, await PostStatusAsync($"/instances/{id}/terminate?reason=enough", null));
        var terminated = await WaitStatusAsync(id, "Terminated");

        Assert.Equal("enough", terminated["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task Restart_returns_a_check_status_payload_for_the_new_instance()
    {
        var id = await StartAsync("Greeting", "Rome");
        await WaitStatusAsync(id, "Completed");

        var response = await Http.PostAsync($"{Base}/instances/{id}/restart", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var newId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.NotEqual(id, newId);
        Assert.Equal("Hello Rome!", (await WaitStatusAsync(newId, "Completed"))["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task Listing_filters_by_status_and_prefix_and_pages_with_the_continuation_header()
    {
        var prefix = NewId("list") + "-";
        for (var i = 0; i < 3; i++)
        {
            await StartAsync("Greeting", "n" + i, prefix + i);
        }
        foreach (var i in Enumerable.Range(0, 3))
        {
            await WaitStatusAsync(prefix + i, "Completed");
        }

        var first = await Http.GetAsync(
            $"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Completed,Failed&top=2");
        var token = first.Headers.GetValues("x-ms-continuation-token").Single();
        using var next = new HttpRequestMessage(
            HttpMethod.Get, $"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Completed&top=2");
        next.Headers.Add("x-ms-continuation-token", token);
        var second = await Http.SendAsync(next);
        var none = await Http.GetFromJsonAsync<JsonArray>(
            $"{Base}/instances?instanceIdPrefix={prefix}&runtimeStatus=Running");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstItems = (await first.Content.ReadFromJsonAsync<JsonArray>())!;
        var secondItems = (await second.Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal(2, firstItems.Count);
        Assert.Single(secondItems);
        Assert.Equal(Enumerable.Range(0, 3).Select(i => prefix + i),
            firstItems.Concat(secondItems).Select(e => e!["instanceId"]!.GetValue<string>()).Order());
        Assert.Equal("Hello n0!", firstItems[0]!["output"]!.GetValue<string>());
        Assert.Empty(none!);
        var badStatus = await Http.GetAsync($"{Base}/instances?runtimeStatus=Sleeping");
        var badTime = await Http.GetAsync($"{Base}/instances?createdTimeFrom=yesterday");
        await AssertProblemAsync(badStatus, HttpStatusCode.BadRequest, "invalid-query");
        await AssertProblemAsync(badTime, HttpStatusCode.BadRequest, "invalid-query");
    }

    [Fact]
    public async Task Purge_of_one_and_of_a_filter_report_how_many_were_deleted()
    {
        var id = await StartAsync("Greeting", "A");
        await WaitStatusAsync(id, "Completed");
        var since = DateTime.UtcNow.AddSeconds(-1).ToString("o");

        var one = await Http.DeleteAsync($"{Base}/instances/{id}");
        var again = await Http.DeleteAsync($"{Base}/instances/{id}");
        var later = await StartAsync("Greeting", "B");
        await WaitStatusAsync(later, "Completed");
        var many = await Http.DeleteAsync(
            $"{Base}/instances?createdTimeFrom={Uri.EscapeDataString(since)}&runtimeStatus=Completed");
        var tomorrow = Uri.EscapeDataString(DateTime.UtcNow.AddDays(1).ToString("o"));
        var none = await Http.DeleteAsync($"{Base}/instances?createdTimeFrom={tomorrow}");

        Assert.Equal(1, (await one.Content.ReadFromJsonAsync<JsonObject>())!["instancesDeleted"]!.GetValue<int>());
        await AssertProblemAsync(again, HttpStatusCode.NotFound, "instance-not-found");
        Assert.True((await many.Content.ReadFromJsonAsync<JsonObject>())!["instancesDeleted"]!.GetValue<int>() >= 1);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{Base}/instances/{later}")).StatusCode);
        await AssertProblemAsync(none, HttpStatusCode.NotFound, "no-instances");
    }

    [Fact]
    public async Task Purging_a_running_instance_is_refused_with_409_and_it_keeps_running()
    {
        var id = await StartApprovalAsync("purge-running");

        var refused = await Http.DeleteAsync($"{Base}/instances/{id}");

        await AssertProblemAsync(refused, HttpStatusCode.Conflict, "instance-not-terminal");
        Assert.Equal("Running", (await WaitStatusAsync(id, "Running"))["runtimeStatus"]!.GetValue<string>());
        await Http.PostAsync($"{Base}/instances/{id}/terminate", null);
    }

    [Fact]
    public async Task Purging_many_without_a_status_filter_removes_only_terminal_instances_and_a_live_status_is_400()
    {
        var since = Uri.EscapeDataString(DateTime.UtcNow.AddMilliseconds(-1).ToString("o"));
        var completed = await StartAsync("Greeting", "C");
        var running = await StartApprovalAsync("purge-many");
        var suspended = await StartApprovalAsync("purge-suspended");
        await Http.PostAsync($"{Base}/instances/{suspended}/suspend", null);
        await WaitStatusAsync(suspended, "Suspended");
        await WaitStatusAsync(completed, "Completed");

        var liveStatus = await Http.DeleteAsync(
            $"{Base}/instances?createdTimeFrom={since}&runtimeStatus=Completed,Running");
        var all = await Http.DeleteAsync($"{Base}/instances?createdTimeFrom={since}");

        await AssertProblemAsync(liveStatus, HttpStatusCode.BadRequest, "invalid-query");
        Assert.Equal(1, (await all.Content.ReadFromJsonAsync<JsonObject>())!["instancesDeleted"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{Base}/instances/{completed}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Http.GetAsync($"{Base}/instances/{running}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Http.GetAsync($"{Base}/instances/{suspended}")).StatusCode);
        await Http.PostAsync($"{Base}/instances/{running}/terminate", null);
        await Http.PostAsync($"{Base}/instances/{suspended}/terminate", null);
    }

    [Fact]
    public async Task The_hosts_authorization_filter_guards_every_route()
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        var list = await anonymous.GetAsync($"{Base}/instances");
        var start = await anonymous.PostAsync($"{Base}/orchestrators/Greeting", Json("x"));
        var purge = await anonymous.DeleteAsync($"{Base}/instances");

        await AssertProblemAsync(list, HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(start, HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(purge, HttpStatusCode.Unauthorized, "unauthorized");
    }

    /// <summary>A body as the SDK's default converter writes it (PascalCase), as the orchestrations read it.</summary>
    private static JsonContent Json(object? value) => JsonContent.Create(value, options: SdkJson);

    private async Task<HttpStatusCode> PostStatusAsync(string path, HttpContent? body) =>
        (await Http.PostAsync(Base + path, body)).StatusCode;

    private static string NewId(string what) => $"{what}-{Guid.NewGuid():N}";

    private async Task<string> StartAsync(string name, object? input, string? id = null)
    {
        var response = await Http.PostAsync($"{Base}/orchestrators/{name}{(id is null ? "" : "/" + id)}", Json(input));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private async Task<string> StartApprovalAsync(string what)
    {
        var id = NewId(what);
        await StartAsync("Approval", new Order(id, 1), id);
        await WaitStatusAsync(id, "Running");
        return id;
    }

    private Task<JsonObject> WaitStatusAsync(string id, string status) =>
        Eventually.Until(async () => (await Http.GetFromJsonAsync<JsonObject>($"{Base}/instances/{id}"))!,
            b => b["runtimeStatus"]!.GetValue<string>() == status, TimeSpan.FromSeconds(30), $"{id} to be {status}");

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("https://urumi.dev/problems/" + type, body!["type"]!.GetValue<string>());
    }
}

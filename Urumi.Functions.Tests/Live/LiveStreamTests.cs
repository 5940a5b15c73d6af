using System.Net;
using System.Text.Json.Nodes;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Live;

/// <summary>The live streams on the real control plane: pushed phases, resumption without replays, heartbeats, owners kept apart.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class LiveStreamTests(AzuriteFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_store_stream_pushes_each_change_and_a_reconnect_resumes_without_replaying()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await ControlPlane.CreateStoreAsync(alice, "live");

        var (response, reader) = await OpenAsync(alice, $"/api/stores/{id}/stream");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        var seen = new List<SseEvent>();
        using (response)
        using (reader)
        {
            while (seen.Count == 0 || Phase(seen[^1]) != "Ready")
            {
                seen.Add(await reader.NextAsync(Wait) ?? throw new InvalidOperationException("the stream ended"));
            }
        }

        var phases = seen.Select(Phase).Distinct().ToList();
        Assert.Equal(["Provisioning", "Ready"], phases.Where(p => p != "Queued"));
        Assert.True(phases[0] is "Queued" or "Provisioning", string.Join(", ", phases));
        Assert.All(seen, e => Assert.Equal("store", e.Name));
        Assert.Equal(seen.Count, seen.Select(e => e.Id).Distinct().Count());
        Assert.True(seen.Select(e => (string?)JsonNode.Parse(e.Data)!["step"]).Distinct().Count() >= 3, "steps pushed: " + string.Join(", ", seen.Select(e => e.Data)));

        // Resume from the last event: the Ready store is not sent again; the next event is the delete.
        var (again, resumed) = await OpenAsync(alice, $"/api/stores/{id}/stream", lastEventId: seen[^1].Id);
        using (again)
        using (resumed)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{id}")).StatusCode);
            var next = await resumed.NextAsync(Wait);
            Assert.Equal("Deleting", Phase(next!));
        }
    }

    [Fact]
    public async Task The_list_stream_shows_only_the_callers_stores_and_the_admin_sees_all()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3",
            new Dictionary<string, string> { ["Urumi__Live__Heartbeat"] = "00:00:00.5" });
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);
        var (aliceResponse, aliceStream) = await OpenAsync(alice, "/api/stores/stream");
        var (adminResponse, adminStream) = await OpenAsync(plane.Admin, "/api/stores/stream");
        using var _1 = aliceResponse;
        using var _2 = adminResponse;
        using var _3 = aliceStream;
        using var _4 = adminStream;

        var bobs = await ControlPlane.CreateStoreAsync(bob, "bobs");
        var alices = await ControlPlane.CreateStoreAsync(alice, "alices");
        await plane.WaitForPhaseAsync(alices, "Ready");
        await plane.WaitForPhaseAsync(bobs, "Ready");

        var aliceSaw = await UntilAsync(aliceStream, e => StoreId(e) == alices && Phase(e) == "Ready");
        Assert.All(aliceSaw, e => Assert.Equal(alices, StoreId(e)));
        var ready = new HashSet<string>();
        await UntilAsync(adminStream, e => (Phase(e) != "Ready" || ready.Add(StoreId(e))) && ready.Count == 2);
        Assert.Equal(new[] { alices, bobs }.Order(), ready.Order());

        // Quiet now: a heartbeat comment comes (every 0.5 s here).
        Assert.StartsWith(":", await aliceStream.NextCommentAsync(TimeSpan.FromSeconds(10)));

        // Resuming from alice's last event id sends nothing she saw: the first event is her next change.
        var (resumedResponse, resumed) = await OpenAsync(alice, "/api/stores/stream", lastEventId: aliceSaw.Last(e => e.Id is not null).Id);
        using var _5 = resumedResponse;
        using var _6 = resumed;
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{alices}")).StatusCode);
        var first = await resumed.NextAsync(Wait);
        Assert.Equal((alices, "Deleting"), (StoreId(first!), Phase(first!)));
    }

    [Fact]
    public async Task Another_owners_store_stream_is_not_found()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3");
        using var alice = plane.As(ControlPlane.AliceKey);
        using var bob = plane.As(ControlPlane.BobKey);
        var id = await ControlPlane.CreateStoreAsync(alice, "private");

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/stores/{id}/stream", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/stores/nosuch-1234/stream", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/stores/stream", HttpCompletionOption.ResponseHeadersRead)).StatusCode);
    }

    private static async Task<(HttpResponseMessage Response, SseReader Reader)> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var stream = new HttpClient { BaseAddress = client.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        foreach (var header in client.DefaultRequestHeaders)
        {
            stream.DefaultRequestHeaders.Add(header.Key, header.Value);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await stream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, new SseReader(await response.Content.ReadAsStreamAsync()));
    }

    private static async Task<List<SseEvent>> UntilAsync(SseReader reader, Func<SseEvent, bool> last)
    {
        var seen = new List<SseEvent>();
        while (seen.Count == 0 || !last(seen[^1]))
        {
            seen.Add(await reader.NextAsync(Wait) ?? throw new InvalidOperationException("the stream ended"));
        }
        return seen;
    }

    private static string Phase(SseEvent e) => (string)JsonNode.Parse(e.Data)!["phase"]!;

    private static string StoreId(SseEvent e) => (string)JsonNode.Parse(e.Data)!["id"]!;
}

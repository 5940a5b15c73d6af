using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// The provisioning gate on the real stack (Azurite, KubeSim, helm): a long queue keeps it small and its positions
/// right; losing it (terminated, purged, failed) strands no store; a store that waits too long fails saying so.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class GateRecoveryTests(AzuriteFixture fixture)
{
    private const string GatePath = "/runtime/webhooks/durabletask/instances/urumi-provisioning-gate";
    private const int Queued = 60;
    private const int Batch = 10;

    private static PodFault WordPressNeverReady() => new(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress");

    [Fact]
    public async Task Sixty_stores_with_long_names_queue_behind_one_slot_the_gate_stays_small_and_every_position_is_right()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            ["Urumi__MaxActiveStoresPerOwner"] = "1000",
            ["Urumi__Provisioning__Deadline"] = "01:00:00",
            // The gate does not look for ended holders during this test: the queue stands still while it is read.
            ["Urumi__Provisioning__GateHolderCheckInterval"] = "00:10:00",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        await TakeTheOnlySlotForGoodAsync(plane, alice);
        var batches = new List<string[]>();
        for (var batch = 0; batch < Queued / Batch; batch++)
        {
            // 40-character names (270 of them passed the 16 KB status limit of a gate that listed its waiters; the
            // pure tests take 10,000).
            batches.Add(await Task.WhenAll(Enumerable.Range(batch * Batch, Batch).Select(i => ControlPlane.CreateStoreAsync(alice, $"queued-store-{i:D4}".PadRight(40, 'x')))));
        }

        var positions = await WithOutput(plane, Eventually.Until(() => QueuePositionsAsync(alice), p => p.Count == Queued, TimeSpan.FromSeconds(300), $"{Queued} stores to be queued"));
        var gate = await plane.Storage().GetInstanceAsync("urumi-provisioning-gate", getInputsAndOutputs: true);
        var first = batches[0].Single(id => positions[id] == 1);
        await Expect(HttpStatusCode.Accepted, plane.Admin.PostAsync($"{GatePath}/raiseEvent/Gate", JsonContent.Create(new { Op = "Configure", Capacity = 2 })));
        var admitted = await Eventually.Until(() => ControlPlane.GetStoreAsync(alice, first), s => (string?)s["phase"] != "Queued", TimeSpan.FromSeconds(60), "the first in line to be admitted");
        var after = await QueuePositionsAsync(alice);

        Assert.Equal(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Running, gate!.RuntimeStatus);
        Assert.True(gate.SerializedCustomStatus!.Length < 200, $"the gate's status is {gate.SerializedCustomStatus.Length} characters: {gate.SerializedCustomStatus}");
        Assert.True(gate.SerializedInput!.Length < 512, $"the gate's state is {gate.SerializedInput.Length} characters: {gate.SerializedInput}");
        Assert.Equal(Enumerable.Range(1, Queued), positions.Values.Order());
        // Stores created in an earlier batch stand ahead of every store of a later one.
        Assert.All(batches.Select((ids, b) => (ids, b)), x => Assert.All(x.ids, id => Assert.InRange(positions[id], (x.b * Batch) + 1, (x.b + 1) * Batch)));
        Assert.Equal("Provisioning", (string?)admitted["phase"]);
        Assert.Equal(positions.Where(p => p.Key != first).ToDictionary(p => p.Key, p => p.Value - 1), after);
    }

    [Theory]
    [InlineData("terminate")]
    [InlineData("purge")]
    [InlineData("fail")]
    public async Task Stores_queued_when_the_gate_is_lost_all_become_Ready_and_health_is_degraded_until_it_is_back(string loss)
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            // Also how often each worker checks that the gate runs. A gate found down on two checks in a row is started
            // again, so health shows it down for one to two intervals, and the test has one interval to purge it or
            // start it by hand before the keeper does.
            ["Urumi__Provisioning__GateHolderCheckInterval"] = "00:00:08",
            // The first store's helm waits, its WordPress never ready, until the test clears the fault: however slow the
            // machine, neither helm nor the stores queued behind it may run out of time before that.
            ["Urumi__Helm__Timeout"] = "00:10:00",
            ["Urumi__Provisioning__Deadline"] = "00:20:00",
        });
        plane.Sim.Server.Faults.FailPods(WordPressNeverReady());
        using var alice = plane.As(ControlPlane.AliceKey);
        var ids = new List<string>();
        foreach (var name in new[] { "first", "second", "third" })
        {
            ids.Add(await ControlPlane.CreateStoreAsync(alice, name));
        }
        await plane.WaitForPhaseAsync(ids[0], "Provisioning");
        await WithOutput(plane, Eventually.Until(async () => string.Join(", ", (await QueuePositionsAsync(alice)).Select(p => $"{p.Key} at {p.Value}")),
            p => p.Split(", ").Length == 2, TimeSpan.FromSeconds(60), "two stores to be queued"));
        var before = await HealthAsync(plane);

        await WithOutput(plane, LoseGateAsync(plane, loss));
        var degraded = await WithOutput(plane, Eventually.Until(() => HealthAsync(plane), h => h.Status == "Degraded", TimeSpan.FromSeconds(20), "/api/health to say Degraded"));
        await WithOutput(plane, Eventually.Until(() => HealthAsync(plane), h => h.Status == "Healthy", TimeSpan.FromSeconds(60), "the gate to be back"));
        // A signal the recreated gate cannot read is refused by the management API (the gate itself would skip it:
        // ProvisioningGateTests).
        await Expect(HttpStatusCode.BadRequest, plane.Admin.PostAsync($"{GatePath}/raiseEvent/Gate", JsonContent.Create(new { Op = "Explode" })));
        plane.Sim.Server.Faults.Clear();
        foreach (var id in ids)
        {
            await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromSeconds(300));
        }
        var healthy = await Eventually.Until(() => HealthAsync(plane), h => h.Status == "Healthy", TimeSpan.FromSeconds(30), "/api/health to say Healthy");

        Assert.Equal("Healthy", before.Status);
        Assert.Equal(HttpStatusCode.OK, degraded.Code);
        Assert.Contains("provisioning: the provisioning gate is not running", degraded.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, healthy.Code);
    }

    [Fact]
    public async Task A_store_the_gate_lost_count_of_is_let_in_by_a_keeper_that_sees_it_wait_beside_a_free_slot()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            // Stores waiting beside a free slot for 2 x 3 s are a stall.
            ["Urumi__Provisioning__GateHolderCheckInterval"] = "00:00:03",
            ["Urumi__Helm__Timeout"] = "00:10:00",
            ["Urumi__Provisioning__Deadline"] = "00:20:00",
        });
        plane.Sim.Server.Faults.FailPods(WordPressNeverReady());
        using var alice = plane.As(ControlPlane.AliceKey);
        var holder = await ControlPlane.CreateStoreAsync(alice, "holder");
        await plane.WaitForPhaseAsync(holder, "Provisioning");
        var waiter = await ControlPlane.CreateStoreAsync(alice, "waiter");
        await WithOutput(plane, Eventually.Until(() => QueuePositionsAsync(alice), p => p.ContainsKey(waiter), TimeSpan.FromSeconds(60), "the second store to be queued"));

        // The gate loses count of the waiter: a release in its name, sent by hand, reads as the waiter leaving the queue.
        var waiterInstance = Urumi.Functions.Stores.Store.ProvisionInstanceId(waiter, 1);
        await Expect(HttpStatusCode.Accepted, plane.Admin.PostAsync($"{GatePath}/raiseEvent/Gate", JsonContent.Create(new { Op = "Release", InstanceId = waiterInstance })));
        await WithOutput(plane, Eventually.Until(async () => (await plane.Storage().GetInstanceAsync(ProvisioningGate.InstanceId, getInputsAndOutputs: true))?.ReadCustomStatusAs<GateStatus>()?.Waiting,
            w => w == 0, TimeSpan.FromSeconds(30), "the gate to count no waiter"));
        plane.Sim.Server.Faults.Clear();

        var ready = await plane.WaitForPhaseAsync(waiter, "Ready", TimeSpan.FromSeconds(180));

        Assert.Equal("Ready", (string?)ready["phase"]);
        Assert.Contains("asked the gate to read its waiting list again", plane.App.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_waits_for_a_slot_past_its_provisioning_deadline_fails_with_that_reason()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            ["Urumi__Helm__Timeout"] = "00:00:05",
            ["Urumi__Provisioning__Deadline"] = "00:00:15",
            // The gate does not look for ended holders during this test: the slot stays taken.
            ["Urumi__Provisioning__GateHolderCheckInterval"] = "00:10:00",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        await TakeTheOnlySlotForGoodAsync(plane, alice);

        var waiter = await ControlPlane.CreateStoreAsync(alice, "waiter");
        var store = await plane.WaitForPhaseAsync(waiter, "Failed", TimeSpan.FromSeconds(90));

        Assert.Contains("the provisioning deadline (00:00:15) passed while the store waited for a provisioning slot", (string?)store["lastError"]);
        Assert.Equal("Failed", (string?)store["step"]);
    }

    /// <summary>
    /// A store takes the gate's one slot and its provisioning is terminated by hand while helm waits: it never gives
    /// the slot back (the gate's holder check is set beyond the test), so the queue behind it stands still.
    /// </summary>
    private static async Task TakeTheOnlySlotForGoodAsync(ControlPlane plane, HttpClient alice)
    {
        plane.Sim.Server.Faults.FailPods(WordPressNeverReady());
        var holder = await ControlPlane.CreateStoreAsync(alice, "holder");
        await plane.WaitForPhaseAsync(holder, "Provisioning");
        await plane.Storage().TerminateInstanceAsync(Urumi.Functions.Stores.Store.ProvisionInstanceId(holder, 1), "by hand");
    }

    /// <summary>A wait that, when it times out, says what the control plane logged.</summary>
    private static async Task<T> WithOutput<T>(ControlPlane plane, Task<T> wait)
    {
        try
        {
            return await wait;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- app output ---\n{ControlPlane.Tail(ControlPlane.WithoutRequests(plane.App.Output), 150)}", e);
        }
    }

    private static async Task<string> LoseGateAsync(ControlPlane plane, string loss)
    {
        switch (loss)
        {
            case "terminate":
                await Expect(HttpStatusCode.Accepted, plane.Admin.PostAsync($"{GatePath}/terminate?reason=by+hand", null));
                break;
            case "purge":
                await Expect(HttpStatusCode.Accepted, plane.Admin.PostAsync($"{GatePath}/terminate?reason=by+hand", null));
                await Eventually.Until(async () => (await plane.Admin.DeleteAsync(GatePath)).StatusCode, c => c == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the terminated gate to be purged");
                break;
            case "fail":
                // Started again by hand with a state it cannot read, it fails.
                await Expect(HttpStatusCode.Accepted, plane.Admin.PostAsync($"{GatePath}/terminate?reason=by+hand", null));
                await Eventually.Until(
                    async () => (await plane.Admin.PostAsync("/runtime/webhooks/durabletask/orchestrators/ProvisioningGate/urumi-provisioning-gate", JsonContent.Create(new { Capacity = "many" }))).StatusCode,
                    c => c == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30), "the gate to be started with a state it cannot read");
                await Eventually.Until(async () => (await plane.Storage().GetInstanceAsync("urumi-provisioning-gate"))?.RuntimeStatus,
                    s => s == Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Failed, TimeSpan.FromSeconds(30), "the gate to fail");
                break;
        }
        return loss;
    }

    private static async Task Expect(HttpStatusCode code, Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.StatusCode == code, $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<(HttpStatusCode Code, string? Status, string Body)> HealthAsync(ControlPlane plane)
    {
        var response = await plane.Admin.GetAsync("/api/health");
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, (string?)JsonNode.Parse(body)?["status"], body);
    }

    /// <summary>The queue position of every Queued store of the caller, by store id.</summary>
    private static async Task<Dictionary<string, int>> QueuePositionsAsync(HttpClient client)
    {
        var positions = new Dictionary<string, int>();
        string? token = null;
        do
        {
            var page = await ControlPlane.ReadAsync(await client.GetAsync($"/api/stores?status=Queued&limit=200{(token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token))}"));
            foreach (var store in page!["items"]!.AsArray())
            {
                if (store!["queuePosition"] is { } position)
                {
                    positions[(string)store["id"]!] = (int)position;
                }
            }
            token = (string?)page["continuationToken"];
        }
        while (token is not null);
        return positions;
    }
}

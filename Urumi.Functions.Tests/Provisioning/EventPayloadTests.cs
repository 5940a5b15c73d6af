using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Tests.Support;
using Urumi.Hosting;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// An external event sent by hand (the management API's raiseEvent) with a payload the waiting orchestration cannot
/// read is refused with a 400, instead of failing the orchestration where it waits.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class EventPayloadTests(AzuriteFixture fixture)
{
    public static TheoryData<string, string, string> Readable => new()
    {
        { nameof(ProvisionStore), ProvisioningGate.GrantedEvent, "true" },
        { nameof(ProvisionStore), ProvisionStore.CancelEvent, Sent(new CancelRequest(new Requester("alice", "127.0.0.1"), "s-1.delete.1")) },
        { nameof(DeleteStore), ProvisionStore.StoppedEvent, Sent("s-1.provision.1") },
        { nameof(ProvisioningGate), ProvisioningGate.SignalEvent, Sent(new GateSignal(GateOp.Release, "s-1.provision.1")) },
    };

    public static TheoryData<string, string, string> Unreadable => new()
    {
        { nameof(ProvisionStore), ProvisioningGate.GrantedEvent, "\"yes\"" },
        { nameof(ProvisionStore), ProvisioningGate.GrantedEvent, "null" },
        { nameof(ProvisionStore), ProvisionStore.CancelEvent, "{}" },
        { nameof(ProvisionStore), ProvisionStore.CancelEvent, "{\"requestedBy\":{\"key\":\"alice\"},\"deleteInstanceId\":\"d\"}" },
        { nameof(DeleteStore), ProvisionStore.StoppedEvent, "{\"instance\":\"x\"}" },
        { nameof(ProvisioningGate), ProvisioningGate.SignalEvent, "{\"op\":\"Explode\"}" },
        // A closed set is named on the wire: a number is no signal, even one of a member.
        { nameof(ProvisioningGate), ProvisioningGate.SignalEvent, "{\"op\":7}" },
        { nameof(ProvisioningGate), ProvisioningGate.SignalEvent, "{\"op\":0,\"instanceId\":\"s-1.provision.1\"}" },
    };

    [Theory]
    [MemberData(nameof(Readable))]
    public void A_payload_as_the_control_plane_sends_it_is_readable(string orchestrator, string eventName, string payload) =>
        Assert.Null(ProvisioningEvents.Known.Problem(orchestrator, eventName, JsonDocument.Parse(payload).RootElement));

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void A_payload_of_another_shape_is_not(string orchestrator, string eventName, string payload) =>
        Assert.NotNull(ProvisioningEvents.Known.Problem(orchestrator, eventName, JsonDocument.Parse(payload).RootElement));

    [Fact]
    public async Task Raising_an_unreadable_event_on_the_running_gate_is_400_and_the_gate_keeps_running()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite);
        var gate = $"/runtime/webhooks/durabletask/instances/{ProvisioningGate.InstanceId}";
        await Eventually.Until(async () => await plane.Admin.GetAsync(gate) is { IsSuccessStatusCode: true } r
                ? await r.Content.ReadFromJsonAsync<JsonObject>() : null,
            s => (string?)s?["runtimeStatus"] == "Running", TimeSpan.FromSeconds(60), "the gate to run");

        var refused = await plane.Admin.PostAsync($"{gate}/raiseEvent/{ProvisioningGate.SignalEvent}",
            new StringContent("{\"op\":\"Explode\"}", Encoding.UTF8, "application/json"));
        var status = await plane.Admin.GetFromJsonAsync<JsonObject>(gate);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("https://urumi.dev/problems/invalid-event-payload",
            (await refused.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>());
        Assert.Equal("Running", status!["runtimeStatus"]!.GetValue<string>());
    }

    private static string Sent<T>(T value) => JsonSerializer.Serialize(value, WorkerJson.Options);
}

using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>The app's /metrics (Urumi:Telemetry:Prometheus) as stores go through their phases.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class MetricsTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task The_metrics_follow_stores_from_Queued_through_Provisioning_and_Ready_to_Deleted()
    {
        // Arrange: one slot at the gate, and WordPress pods that do not become ready until the fault is cleared.
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, settings: new Dictionary<string, string>
        {
            ["Urumi__Telemetry__Prometheus"] = "true",
            ["Urumi__Telemetry__StoreCountInterval"] = "00:00:00.2",
            ["Urumi__Provisioning__MaxConcurrent"] = "1",
            // The first store's helm waits until the fault is cleared, however slow the machine.
            ["Urumi__Helm__Timeout"] = "00:10:00",
            ["Urumi__Provisioning__Deadline"] = "00:20:00",
        });
        using var alice = plane.As(ControlPlane.AliceKey);
        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"));

        // Act: the first store holds the slot, the second waits for it.
        var first = await ControlPlane.CreateStoreAsync(alice, "metered-one");
        await plane.WaitForPhaseAsync(first, "Provisioning");
        var second = await ControlPlane.CreateStoreAsync(alice, "metered-two");

        // Assert
        await ScrapeUntilAsync(plane, "one Provisioning and one Queued", m =>
            m.Sum("urumi_stores", ("phase", "Provisioning")) == 1
            && m.Sum("urumi_stores", ("phase", "Queued")) == 1
            && m.Sum("urumi_provisioning_queue_length") == 1
            && m.Sum("urumi_stores", ("phase", "Ready")) == 0);

        plane.Sim.Server.Faults.Clear();
        await plane.WaitForPhaseAsync(first, "Ready");
        await plane.WaitForPhaseAsync(second, "Ready");
        var ready = await ScrapeUntilAsync(plane, "two Ready", m =>
            m.Sum("urumi_stores", ("phase", "Ready")) == 2
            && m.Sum("urumi_stores", ("phase", "Queued")) == 0
            && m.Sum("urumi_provisioning_queue_length") == 0);
        Assert.Equal(2, ready.Sum("urumi_provisioning_duration_seconds_count", ("engine", "woocommerce"), ("outcome", "Ready")));
        Assert.Equal(2, ready.Sum("urumi_provisioning_gate_wait_seconds_count", ("engine", "woocommerce")));
        Assert.True(ready.Sum("urumi_provisioning_gate_wait_seconds_sum") > 0, "the second store waited for the slot");
        Assert.True(ready.Sum("urumi_helm_duration_seconds_count", ("command", "upgrade"), ("outcome", "succeeded")) >= 2);
        Assert.True(ready.Sum("urumi_storage_request_duration_seconds_count", ("service", "table")) > 0);
        Assert.True(ready.Sum("urumi_storage_request_duration_seconds_count", ("service", "queue")) > 0);

        var deleted = await alice.DeleteAsync($"/api/stores/{first}");
        Assert.True(deleted.IsSuccessStatusCode);
        await plane.WaitForPhaseAsync(first, "Deleted");
        var after = await ScrapeUntilAsync(plane, "one Deleted", m =>
            m.Sum("urumi_stores", ("phase", "Deleted")) == 1 && m.Sum("urumi_stores", ("phase", "Ready")) == 1);
        Assert.True(after.Sum("urumi_helm_duration_seconds_count", ("command", "uninstall")) >= 1);
    }

    private static async Task<PrometheusScrape> ScrapeUntilAsync(ControlPlane plane, string what, Func<PrometheusScrape, bool> done)
    {
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };
        return await Eventually.Until(
            async () =>
            {
                await Task.Delay(100);
                return new PrometheusScrape(await anonymous.GetStringAsync("/metrics"));
            },
            done,
            TimeSpan.FromSeconds(30),
            $"/metrics to show {what}");
    }
}

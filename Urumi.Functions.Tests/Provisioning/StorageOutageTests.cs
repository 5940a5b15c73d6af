using System.Net;
using Urumi.Functions.Tests.Support;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>Storage (Azurite, its own here) down mid-provisioning long enough to strand an activity, then back.</summary>
public sealed class StorageOutageTests
{
    [Fact]
    public async Task When_storage_goes_down_mid_provisioning_and_comes_back_every_store_becomes_Ready()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var plane = await ControlPlane.StartAsync(azurite);
        using var alice = plane.As(ControlPlane.AliceKey);
        string[] ids = [await ControlPlane.CreateStoreAsync(alice, "outage-a"), await ControlPlane.CreateStoreAsync(alice, "outage-b"),
            await ControlPlane.CreateStoreAsync(alice, "outage-c")];

        await StorageOutage.StrandAnActivityAsync(azurite, plane.App,
            async () => (string?)(await ControlPlane.GetStoreAsync(alice, ids[0]))["step"] == "Install");

        foreach (var id in ids)
        {
            await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromSeconds(300));
        }
        Assert.Contains(StorageOutage.RecycleLog, plane.App.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_storage_is_down_the_anonymous_api_health_is_a_503_naming_no_address_nor_error_text()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var plane = await ControlPlane.StartAsync(azurite);
        using var anonymous = new HttpClient { BaseAddress = plane.App.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        (HttpStatusCode Code, string Body) down = (0, "");

        await azurite.RestartAsync(whileDown: async () =>
            down = await Eventually.Until(async () =>
            {
                using var response = await anonymous.GetAsync("/api/health");
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }, r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60), "/api/health to see storage down"));

        Assert.Contains("storage: does not answer", down.Body, StringComparison.Ordinal);
        foreach (var leak in new[] { "127.0.0.1", "Retry failed", "devstoreaccount", "Connection refused", azurite.BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            Assert.DoesNotContain(leak, down.Body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task While_storage_hangs_the_anonymous_api_health_is_a_503_within_seconds()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var plane = await ControlPlane.StartAsync(azurite);
        // Without each check's own timeout the request waits out the storage client's retries (minutes): this client gives up first.
        using var anonymous = new HttpClient { BaseAddress = plane.App.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        azurite.Pause();
        try
        {
            using var hung = await anonymous.GetAsync("/api/health");
            var body = await hung.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, hung.StatusCode);
            Assert.Contains("storage: does not answer", body, StringComparison.Ordinal);
        }
        finally
        {
            azurite.Resume();
        }
        await Eventually.Until(async () => (await anonymous.GetAsync("/api/health")).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "health back once storage answers");
    }
}

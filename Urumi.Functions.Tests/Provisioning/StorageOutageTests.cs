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
}

using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

[Collection(ControlPlaneCollection.Name)]
public sealed class StoreRegistryTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task An_update_never_loses_a_change_another_process_made_in_between()
    {
        var hub = "reg" + Guid.NewGuid().ToString("N")[..10];
        var mine = new StoreRegistry(fixture.Azurite.ConnectionString, hub);
        var theirs = new StoreRegistry(fixture.Azurite.ConnectionString, hub);
        var at = DateTimeOffset.UtcNow;
        var store = new Store { Id = "shop-0123abcd", Name = "shop", Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = StorePhase.Queued, CreatedAt = at, UpdatedAt = at };

        await mine.RecordAsync(store);
        await mine.UpdateAsync("alice", store.Id, s => s with { Phase = StorePhase.Provisioning, Step = "Namespace", Progress = 10 });
        // Another process (a second worker, or a delete) changes the row behind this one's back...
        await theirs.UpdateAsync("alice", store.Id, s => s with { LastError = "noted elsewhere" });
        // ...and this one's next change is made to the row as it now is, not to the one it wrote last.
        await mine.UpdateAsync("alice", store.Id, s => s with { Step = "Install", Progress = 40 });

        var row = await theirs.GetAsync(store.Id);
        Assert.Equal(("Install", 40, "noted elsewhere", StorePhase.Provisioning), (row!.Step, row.Progress, row.LastError, row.Phase));
    }
}

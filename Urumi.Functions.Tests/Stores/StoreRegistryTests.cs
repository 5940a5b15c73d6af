using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

[Collection(ControlPlaneCollection.Name)]
public sealed class StoreRegistryTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task An_update_never_loses_a_change_another_process_made_in_between()
    {
        var (mine, theirs) = TwoProcesses("reg");
        var at = DateTimeOffset.UtcNow;
        var store = new Store { Id = "shop-0123abcd", Name = "shop", Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = StorePhase.Queued, CreatedAt = at, UpdatedAt = at };

        await mine.RecordAsync(store);
        await mine.UpdateAsync("alice", store.Id, s => s with { Phase = StorePhase.Provisioning, Step = StoreStep.Namespace, Progress = 10 });
        // Another process (a second worker, or a delete) changes the row behind this one's back...
        await theirs.UpdateAsync("alice", store.Id, s => s with { LastError = "noted elsewhere" });
        // ...and this one's next change is made to the row as it now is, not to the one it wrote last.
        await mine.UpdateAsync("alice", store.Id, s => s with { Step = StoreStep.Install, Progress = 40 });

        var row = await theirs.GetAsync(store.Id);
        Assert.Equal((StoreStep.Install, 40, "noted elsewhere", StorePhase.Provisioning), (row!.Step, row.Progress, row.LastError, row.Phase));
    }

    [Fact]
    public async Task A_name_is_held_by_the_store_that_claimed_it_until_that_store_is_deleted_or_never_started()
    {
        var registry = new StoreRegistry(fixture.Azurite.ConnectionString, "names" + Guid.NewGuid().ToString("N")[..10]);
        var now = DateTimeOffset.UtcNow;
        var abandoned = TimeSpan.FromMinutes(1);
        var started = new HashSet<string> { "shop-00000001" };
        Task<bool> Started(string id) => Task.FromResult(started.Contains(id));

        // The first claim wins; a second store is told who holds the name, even before the first has a row.
        Assert.Null(await registry.ClaimNameAsync("alice", "shop", "shop-00000001", now, Abandoned, Started));
        Assert.Null(await registry.ClaimNameAsync("alice", "shop", "shop-00000001", now, Abandoned, Started));
        Assert.Equal("shop-00000001", await registry.ClaimNameAsync("alice", "shop", "shop-00000002", now.AddHours(1), abandoned, Started));
        Assert.Null(await registry.ClaimNameAsync("bob", "shop", "shop-00000003", now, Abandoned, Started));

        // Once the holder is Deleted, the name is free again.
        var store = new Store { Id = "shop-00000001", Name = "shop", Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = StorePhase.Queued, CreatedAt = now, UpdatedAt = now };
        await registry.RecordAsync(store);
        Assert.Equal("shop-00000001", await registry.ClaimNameAsync("alice", "shop", "shop-00000002", now, Abandoned, Started));
        await registry.UpdateAsync("alice", store.Id, s => s with { Phase = StorePhase.Deleted });
        Assert.Null(await registry.ClaimNameAsync("alice", "shop", "shop-00000002", now, Abandoned, Started));

        // A claim whose store never started is taken over, but only once it is older than the grace period.
        Assert.Null(await registry.ClaimNameAsync("alice", "mall", "mall-00000001", now, Abandoned, Started));
        Assert.Equal("mall-00000001", await registry.ClaimNameAsync("alice", "mall", "mall-00000002", now.AddSeconds(30), abandoned, Started));
        Assert.Null(await registry.ClaimNameAsync("alice", "mall", "mall-00000002", now.AddMinutes(2), abandoned, Started));
    }

    [Fact]
    public async Task An_active_slot_is_held_while_its_store_is_active_and_a_retried_store_keeps_its_own()
    {
        var registry = new StoreRegistry(fixture.Azurite.ConnectionString, "slots" + Guid.NewGuid().ToString("N")[..10]);
        var now = DateTimeOffset.UtcNow;
        Store Row(string id, StorePhase phase, bool holds = false) =>
            new() { Id = id, Name = id, Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = phase, HoldsResources = holds, CreatedAt = now, UpdatedAt = now };

        Assert.NotNull(await registry.ClaimActiveSlotAsync("alice", "a-00000001", 2, now, Abandoned, Started));
        Assert.NotNull(await registry.ClaimActiveSlotAsync("alice", "b-00000001", 2, now, Abandoned, Started));
        Assert.NotNull(await registry.ClaimActiveSlotAsync("alice", "a-00000001", 2, now, Abandoned, Started));
        Assert.Null(await registry.ClaimActiveSlotAsync("alice", "c-00000001", 2, now, Abandoned, Started));
        Assert.NotNull(await registry.ClaimActiveSlotAsync("bob", "d-00000001", 2, now, Abandoned, Started));

        // A Failed store that still holds resources keeps its slot; without them, or Deleted, it frees it.
        await registry.RecordAsync(Row("a-00000001", StorePhase.Failed, holds: true));
        await registry.RecordAsync(Row("b-00000001", StorePhase.Ready));
        Assert.Null(await registry.ClaimActiveSlotAsync("alice", "c-00000001", 2, now, Abandoned, Started));
        await registry.UpdateAsync("alice", "a-00000001", s => s with { HoldsResources = false });
        Assert.NotNull(await registry.ClaimActiveSlotAsync("alice", "c-00000001", 2, now, Abandoned, Started));

        // Its retry now finds no slot; once another store is Deleted it takes that one.
        Assert.Null(await registry.ClaimActiveSlotAsync("alice", "a-00000001", 2, now, Abandoned, Started));
        await registry.UpdateAsync("alice", "b-00000001", s => s with { Phase = StorePhase.Deleted });
        Assert.NotNull(await registry.ClaimActiveSlotAsync("alice", "a-00000001", 2, now, Abandoned, Started));
    }

    [Fact]
    public async Task A_new_store_tries_a_slot_this_process_saw_free_and_reads_them_all_when_another_process_took_it()
    {
        var (here, elsewhere) = TwoProcesses("guess");
        var now = DateTimeOffset.UtcNow;

        // Another process took slot 0, the one a process that has seen nothing of this owner guesses first.
        var a = await elsewhere.ClaimActiveSlotAsync("carol", "a-00000001", 3, now, Abandoned, Started, newStore: true);
        var b = await here.ClaimActiveSlotAsync("carol", "b-00000001", 3, now, Abandoned, Started, newStore: true);
        var c = await here.ClaimActiveSlotAsync("carol", "c-00000001", 3, now, Abandoned, Started, newStore: true);

        Assert.Equal("~active-0", a);
        Assert.Equal(["~active-0", "~active-1", "~active-2"], new[] { a, b, c }.Order());
        Assert.Null(await here.ClaimActiveSlotAsync("carol", "d-00000001", 3, now, Abandoned, Started, newStore: true));
        Assert.Null(await elsewhere.ClaimActiveSlotAsync("carol", "d-00000001", 3, now, Abandoned, Started, newStore: true));

        // Given back here, the slot is guessed free and taken at once.
        await here.ReleaseClaimAsync("carol", c!, "c-00000001");
        Assert.Equal(c, await here.ClaimActiveSlotAsync("carol", "e-00000001", 3, now, Abandoned, Started, newStore: true));
    }

    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(1);

    /// <summary>Every claim's store counts as started (none is abandoned).</summary>
    private static Task<bool> Started(string id) => Task.FromResult(true);

    /// <summary>Two registries on one new table, as two processes of the control plane would have.</summary>
    private (StoreRegistry, StoreRegistry) TwoProcesses(string prefix)
    {
        var hub = prefix + Guid.NewGuid().ToString("N")[..10];
        return (new StoreRegistry(fixture.Azurite.ConnectionString, hub), new StoreRegistry(fixture.Azurite.ConnectionString, hub));
    }
}

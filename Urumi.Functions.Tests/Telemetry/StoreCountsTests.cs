using Microsoft.Extensions.Logging.Abstractions;
using Urumi.Functions.Stores;
using Urumi.Functions.Telemetry;
using Urumi.Functions.Tests.Support;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

[Collection(ControlPlaneCollection.Name)]
public sealed class StoreCountsTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task Nothing_is_reported_until_the_first_count_is_read_then_every_phase_is()
    {
        var registry = new StoreRegistry(fixture.Azurite.ConnectionString, "counts" + Guid.NewGuid().ToString("N")[..10]);
        var now = DateTimeOffset.UtcNow;
        foreach (var (id, phase) in new[] { ("shop-00000001", StorePhase.Queued), ("shop-00000002", StorePhase.Queued), ("shop-00000003", StorePhase.Ready) })
        {
            await registry.RecordAsync(new Store { Id = id, Name = id, Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = phase, CreatedAt = now, UpdatedAt = now });
        }
        var counts = new StoreCounts(registry, Microsoft.Extensions.Options.Options.Create(new TelemetryOptions()), TimeProvider.System, NullLogger<StoreCounts>.Instance);

        // The first collection starts the read and answers at once, before storage has: no measurement, not zeros.
        var first = counts.ByPhase().ToList();
        var queued = await Eventually.Until(() => Task.FromResult(counts.Queued().ToList()), m => m.Count == 1, TimeSpan.FromSeconds(30), "the first count");
        var byPhase = counts.ByPhase().ToDictionary(m => (string)m.Tags.ToArray().Single(t => t.Key == "phase").Value!, m => m.Value);

        Assert.Empty(first);
        Assert.Equal(2, queued.Single().Value);
        Assert.Equal(Enum.GetNames<StorePhase>().Length, byPhase.Count);
        Assert.Equal((2, 1, 0), (byPhase["Queued"], byPhase["Ready"], byPhase["Failed"]));
    }
}

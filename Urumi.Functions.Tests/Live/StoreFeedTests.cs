using Urumi.Functions.Live;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Tests.Live;

public sealed class StoreFeedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 1, 0, 0, TimeSpan.Zero);

    private static StoreVersion Version(string id, StorePhase phase, double seconds) =>
        new(new Store { Id = id, Name = id, Engine = "woocommerce", Plan = "small", Owner = "alice", Phase = phase }, T0.AddSeconds(seconds));

    [Fact]
    public void Each_version_is_sent_once_in_write_order_with_the_newest_write_time_as_its_id()
    {
        var feed = new StoreFeed(null, T0, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));

        var first = feed.Changed([Version("b", StorePhase.Provisioning, 2), Version("a", StorePhase.Queued, 1)]).ToList();
        var overlapping = feed.Changed([Version("a", StorePhase.Queued, 1), Version("b", StorePhase.Provisioning, 2), Version("b", StorePhase.Ready, 3)]).ToList();

        Assert.Equal(["a", "b"], first.Select(e => e.Store.Id));
        Assert.Equal([StoreFeed.Id(T0.AddSeconds(1)), StoreFeed.Id(T0.AddSeconds(2))], first.Select(e => e.Id));
        Assert.Equal((StorePhase.Ready, StoreFeed.Id(T0.AddSeconds(3))), (Assert.Single(overlapping).Store.Phase, overlapping[0].Id));
        Assert.Equal(T0.AddSeconds(1), feed.ReadFrom);
    }

    [Fact]
    public void A_late_write_with_an_earlier_time_is_still_sent_within_the_overlap()
    {
        var feed = new StoreFeed(null, T0, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        _ = feed.Changed([Version("b", StorePhase.Provisioning, 5)]).ToList();

        var late = feed.Changed([Version("a", StorePhase.Provisioning, 4.5), Version("b", StorePhase.Provisioning, 5)]).ToList();

        Assert.Equal("a", Assert.Single(late).Store.Id);
        Assert.Equal(StoreFeed.Id(T0.AddSeconds(5)), late[0].Id);
    }

    [Fact]
    public void A_reconnect_with_the_last_event_id_sends_nothing_written_up_to_it()
    {
        var feed = new StoreFeed(StoreFeed.Id(T0.AddSeconds(3)), T0.AddMinutes(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));

        var sent = feed.Changed([Version("a", StorePhase.Ready, 3), Version("b", StorePhase.Ready, 2), Version("c", StorePhase.Queued, 4)]).ToList();

        Assert.Equal("c", Assert.Single(sent).Store.Id);
        Assert.Equal(T0.AddSeconds(1), new StoreFeed(StoreFeed.Id(T0.AddSeconds(3)), T0, TimeSpan.FromSeconds(2), TimeSpan.Zero).ReadFrom);
    }

    [Fact]
    public void Queue_positions_are_sent_when_they_change_without_a_new_event_id()
    {
        var feed = new StoreFeed(null, T0, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        _ = feed.Changed([Version("a", StorePhase.Queued, 1), Version("b", StorePhase.Queued, 2)]).ToList();

        var first = feed.Positions(["x", "a", "b"]).ToList();
        var unchanged = feed.Positions(["x", "a", "b"]).ToList();
        var moved = feed.Positions(["a", "b"]).ToList();

        Assert.Equal([("a", 2), ("b", 3)], first.Select(e => (e.Store.Id, e.Store.QueuePosition ?? 0)));
        Assert.All(first, e => Assert.Null(e.Id));
        Assert.Empty(unchanged);
        Assert.Equal([("a", 1), ("b", 2)], moved.Select(e => (e.Store.Id, e.Store.QueuePosition ?? 0)));
    }
}

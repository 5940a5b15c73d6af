using System.Globalization;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Live;

/// <summary>A store to send on a live stream, with its event id (null: a queue position change, no new version).</summary>
public sealed record FeedEvent(Store Store, string? Id);

/// <summary>
/// Decides what a list stream sends: each store version once, in the order of their table write times, and queue
/// positions when they change. The event id is the write time (ticks) of the newest version sent, so a reconnect
/// with Last-Event-ID starts after it and sends nothing the client had.
/// </summary>
public sealed class StoreFeed
{
    private readonly Dictionary<string, DateTimeOffset> _sent = [];
    private readonly Dictionary<string, (Store Store, int? Position)> _queued = [];
    private readonly DateTimeOffset _resumedAfter;
    private readonly TimeSpan _overlap;

    public StoreFeed(string? lastEventId, DateTimeOffset now, TimeSpan overlap, TimeSpan firstLook)
    {
        _overlap = overlap;
        if (long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
        {
            _resumedAfter = new DateTimeOffset(ticks, TimeSpan.Zero);
            Cursor = _resumedAfter;
        }
        else
        {
            // A first connection: the page has just read the list; what changed a moment before is sent again (as
            // current state, not as a replay: this stream sent nothing yet).
            _resumedAfter = DateTimeOffset.MinValue;
            Cursor = now - firstLook;
        }
    }

    /// <summary>The write time of the newest version sent (or the start).</summary>
    public DateTimeOffset Cursor { get; private set; }

    /// <summary>Read the rows written after this: the cursor less the overlap.</summary>
    public DateTimeOffset ReadFrom => Cursor - _overlap;

    /// <summary>The ids of the stores last seen Queued: their queue positions are to be read.</summary>
    public IReadOnlyCollection<string> Queued => _queued.Keys;

    /// <summary>The versions not sent yet, oldest first, each with its event id.</summary>
    public IEnumerable<FeedEvent> Changed(IEnumerable<StoreVersion> versions)
    {
        foreach (var (store, writtenAt) in versions.OrderBy(v => v.WrittenAt))
        {
            if (writtenAt <= _resumedAfter || _sent.TryGetValue(store.Id, out var sent) && writtenAt <= sent)
            {
                continue;
            }
            _sent[store.Id] = writtenAt;
            Cursor = writtenAt > Cursor ? writtenAt : Cursor;
            if (store.Phase == StorePhase.Queued)
            {
                _queued[store.Id] = (store, store.QueuePosition);
            }
            else
            {
                _queued.Remove(store.Id);
            }
            yield return new FeedEvent(store, Id(Cursor));
        }
        ForgetOlderThan(Cursor - _overlap - _overlap);
    }

    /// <summary>The Queued stores whose position differs from the one last sent (<paramref name="waiting"/>: ids in line order).</summary>
    public IEnumerable<FeedEvent> Positions(IReadOnlyList<string> waiting)
    {
        foreach (var (id, (store, position)) in _queued.ToList())
        {
            var index = waiting.ToList().IndexOf(id);
            int? now = index >= 0 ? index + 1 : null;
            if (now != position)
            {
                _queued[id] = (store, now);
                yield return new FeedEvent(store with { QueuePosition = now }, null);
            }
        }
    }

    /// <summary>An id <see cref="Id"/> makes: a write time in ticks.</summary>
    public static bool IsEventId(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
        && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks;

    public static string Id(DateTimeOffset writtenAt) => writtenAt.UtcTicks.ToString(CultureInfo.InvariantCulture);

    /// <summary>Versions older than twice the overlap cannot come back in a read: their record is dropped.</summary>
    private void ForgetOlderThan(DateTimeOffset limit)
    {
        foreach (var id in _sent.Where(s => s.Value < limit && !_queued.ContainsKey(s.Key)).Select(s => s.Key).ToList())
        {
            _sent.Remove(id);
        }
    }
}

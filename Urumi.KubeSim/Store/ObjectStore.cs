using System.Text.Json.Nodes;
using System.Threading.Channels;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Store;

/// <summary>A change, as a watch stream reports it. Objects held here are never mutated after they are stored.</summary>
public sealed record WatchEvent(long ResourceVersion, ResourceType Type, string EventType, JsonObject Object, JsonObject? Previous);

/// <summary>
/// The objects of the simulated cluster, under one lock, with a global resourceVersion and a window of recent
/// changes from which a watch can resume. Stored objects are immutable: writers store a new object.
/// </summary>
public sealed class ObjectStore(int eventWindow = 50_000)
{
    private readonly Dictionary<ResourceType, Dictionary<string, SortedDictionary<string, JsonObject>>> _objects = [];
    private readonly Queue<WatchEvent> _recent = new();
    private readonly List<Watcher> _watchers = [];
    private long _resourceVersion = 1000;
    private long _oldestResumable = 1000;

    /// <summary>Held for compound read-modify-write operations; it is reentrant.</summary>
    public object Gate { get; } = new();

    public long ResourceVersion
    {
        get
        {
            lock (Gate)
            {
                return _resourceVersion;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (Gate)
            {
                return _objects.Values.Sum(n => n.Values.Sum(m => m.Count));
            }
        }
    }

    public JsonObject? Get(ResourceType type, string? ns, string name)
    {
        lock (Gate)
        {
            return _objects.TryGetValue(type, out var byNs) && byNs.TryGetValue(ns ?? "", out var byName) && byName.TryGetValue(name, out var obj)
                ? obj
                : null;
        }
    }

    /// <summary>Objects of a type, sorted by namespace then name, optionally in one namespace.</summary>
    public List<JsonObject> List(ResourceType type, string? ns, Func<JsonObject, bool>? filter = null)
    {
        lock (Gate)
        {
            var result = new List<JsonObject>();
            if (!_objects.TryGetValue(type, out var byNs))
            {
                return result;
            }

            IEnumerable<SortedDictionary<string, JsonObject>> buckets = ns is null
                ? byNs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)
                : byNs.TryGetValue(ns, out var one) ? [one] : [];
            foreach (var bucket in buckets)
            {
                foreach (var obj in bucket.Values)
                {
                    if (filter is null || filter(obj))
                    {
                        result.Add(obj);
                    }
                }
            }

            return result;
        }
    }

    public bool NamespaceHasObjects(string ns)
    {
        lock (Gate)
        {
            return _objects.Values.Any(byNs => byNs.TryGetValue(ns, out var m) && m.Count > 0);
        }
    }

    /// <summary>Stores a new or changed object, stamping the next resourceVersion, and tells the watchers.</summary>
    public JsonObject Write(ResourceType type, JsonObject obj)
    {
        lock (Gate)
        {
            var meta = (JsonObject)obj["metadata"]!;
            var ns = type.Namespaced ? (string?)meta["namespace"] ?? "" : "";
            var name = (string)meta["name"]!;
            var rv = ++_resourceVersion;
            meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_objects.TryGetValue(type, out var byNs))
            {
                _objects[type] = byNs = [];
            }

            if (!byNs.TryGetValue(ns, out var byName))
            {
                byNs[ns] = byName = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            }

            byName.TryGetValue(name, out var previous);
            byName[name] = obj;
            Publish(new WatchEvent(rv, type, previous is null ? "ADDED" : "MODIFIED", obj, previous));
            return obj;
        }
    }

    /// <summary>Removes an object for good and tells the watchers (the DELETED event carries a new resourceVersion).</summary>
    public JsonObject? Remove(ResourceType type, string? ns, string name)
    {
        lock (Gate)
        {
            if (!_objects.TryGetValue(type, out var byNs) || !byNs.TryGetValue(ns ?? "", out var byName) || !byName.Remove(name, out var previous))
            {
                return null;
            }

            if (byName.Count == 0)
            {
                byNs.Remove(ns ?? "");
            }

            var rv = ++_resourceVersion;
            var gone = (JsonObject)previous.DeepClone();
            gone["metadata"]!["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Publish(new WatchEvent(rv, type, "DELETED", gone, previous));
            return gone;
        }
    }

    /// <summary>
    /// Opens a watch. When <paramref name="sinceResourceVersion"/> is given, the changes after it are replayed first
    /// (410 Expired when they have left the window); the caller sends any initial state itself.
    /// </summary>
    public Watcher Watch(Func<WatchEvent, bool> interest, long? sinceResourceVersion, out long startedAt)
    {
        lock (Gate)
        {
            if (sinceResourceVersion is { } since && since < _oldestResumable)
            {
                throw StatusException.Gone($"too old resource version: {since} ({_oldestResumable})");
            }

            var watcher = new Watcher(this, interest);
            if (sinceResourceVersion is { } from)
            {
                foreach (var e in _recent)
                {
                    if (e.ResourceVersion > from)
                    {
                        watcher.Offer(e);
                    }
                }
            }

            _watchers.Add(watcher);
            startedAt = _resourceVersion;
            return watcher;
        }
    }

    internal void Unwatch(Watcher watcher)
    {
        lock (Gate)
        {
            _watchers.Remove(watcher);
        }
    }

    private void Publish(WatchEvent e)
    {
        _recent.Enqueue(e);
        while (_recent.Count > eventWindow)
        {
            _oldestResumable = _recent.Dequeue().ResourceVersion;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Offer(e);
        }
    }
}

/// <summary>An open watch: the events it is interested in, in resourceVersion order.</summary>
public sealed class Watcher : IDisposable
{
    private readonly ObjectStore _store;
    private readonly Func<WatchEvent, bool> _interest;
    private readonly Channel<WatchEvent> _events = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });

    internal Watcher(ObjectStore store, Func<WatchEvent, bool> interest)
    {
        _store = store;
        _interest = interest;
    }

    public ChannelReader<WatchEvent> Events => _events.Reader;

    internal void Offer(WatchEvent e)
    {
        if (_interest(e))
        {
            _events.Writer.TryWrite(e);
        }
    }

    public void Dispose()
    {
        _store.Unwatch(this);
        _events.Writer.TryComplete();
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Urumi.Hosting.Telemetry;

namespace Urumi.Functions.Stores;

/// <summary>One page of stores.</summary>
public sealed record StorePage(IReadOnlyList<Store> Items, string? ContinuationToken);

/// <summary>What an Idempotency-Key was first used for: the store id and the request (its canonical form).</summary>
public sealed record IdempotencyRecord(string StoreId, string Request);

/// <summary>A store as its row was at <see cref="WrittenAt"/> (the table's Timestamp of that write).</summary>
public sealed record StoreVersion(Store Store, DateTimeOffset WrittenAt);

/// <summary>
/// The read model of stores: an Azure Table "{hub}Stores", partition = owner, row = store id. Activities write
/// it (with ETag concurrency); HTTP functions only read it.
/// </summary>
public sealed class StoreRegistry
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient _table;
    private readonly TableClient _claims;
    private readonly TableClient _ids;
    private readonly Lazy<Task> _created;

    // The last row this process wrote for each store still in flight, with its ETag: the next update replaces it
    // straight away instead of reading it first. A writer elsewhere changes the ETag, and the 412 sends us to read.
    private readonly ConcurrentDictionary<(string Owner, string Id), (Store Store, ETag ETag)> _written = new();

    public StoreRegistry(string connectionString, string hubName)
    {
        var service = new TableServiceClient(connectionString, StorageLatencyPolicy.AddTo(new TableClientOptions(), "table"));
        _table = service.GetTableClient(hubName + "Stores");
        _claims = service.GetTableClient(hubName + "StoreClaims");
        _ids = service.GetTableClient(hubName + "StoreIds");
        _created = new Lazy<Task>(() => Task.WhenAll(_table.CreateIfNotExistsAsync(), _claims.CreateIfNotExistsAsync(), _ids.CreateIfNotExistsAsync()));
    }

    public string TableName => _table.Name;

    public async Task<Store?> GetAsync(string id, CancellationToken ct = default)
    {
        await _created.Value;
        await foreach (var entity in _table.QueryAsync<TableEntity>($"RowKey eq '{Escape(id)}'", cancellationToken: ct))
        {
            return ToStore(entity);
        }
        return null;
    }

    /// <summary>The owner's stores that are not Deleted.</summary>
    public async Task<List<Store>> ListOwnedAsync(string owner, CancellationToken ct = default)
    {
        await _created.Value;
        var stores = new List<Store>();
        await foreach (var entity in _table.QueryAsync<TableEntity>($"PartitionKey eq '{Escape(owner)}' and Phase ne 'Deleted'", cancellationToken: ct))
        {
            stores.Add(ToStore(entity));
        }
        return stores;
    }


    /// <summary>How many stores are in each phase (reads the Phase column of every row).</summary>
    public async Task<Dictionary<StorePhase, long>> CountByPhaseAsync(CancellationToken ct = default)
    {
        await _created.Value;
        var counts = new Dictionary<StorePhase, long>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(select: ["Phase"], cancellationToken: ct))
        {
            if (Enum.TryParse<StorePhase>(entity.GetString("Phase"), out var phase))
            {
                counts[phase] = counts.GetValueOrDefault(phase) + 1;
            }
        }
        return counts;
    }

    /// <summary>
    /// Stores newest first within a page; owner null lists every owner's; <paramref name="phases"/> keeps the stores in
    /// any of them (all when empty); <paramref name="namePrefix"/> (a lowercase DNS label's start) keeps the names that
    /// begin with it, as a range on the Name column. Null when <paramref name="continuationToken"/> is not one that
    /// this list, with the same filters, gave (a token is never read as "start from somewhere else").
    /// </summary>
    public async Task<StorePage?> ListAsync(string? owner, IReadOnlyCollection<StorePhase> phases, string? engine, int pageSize,
        string? continuationToken, CancellationToken ct = default, string? namePrefix = null)
    {
        await _created.Value;
        var filters = new List<string>();
        if (namePrefix is not null)
        {
            // '{' sorts right after 'z', above every character a store name may hold.
            filters.Add($"Name ge '{Escape(namePrefix)}' and Name lt '{Escape(namePrefix)}{{'");
        }
        if (owner is not null)
        {
            filters.Add($"PartitionKey eq '{Escape(owner)}'");
        }
        if (phases.Count > 0)
        {
            filters.Add("(" + string.Join(" or ", phases.Select(p => $"Phase eq '{p}'")) + ")");
        }
        if (engine is not null)
        {
            filters.Add($"Engine eq '{Escape(engine)}'");
        }
        var filter = filters.Count == 0 ? null : string.Join(" and ", filters);
        var token = ListToken.For(filter);
        string? position = null;
        if (continuationToken is not null && !token.TryRead(continuationToken, out position))
        {
            return null;
        }
        var query = _table.QueryAsync<TableEntity>(filter, pageSize, cancellationToken: ct);
        await foreach (var page in query.AsPages(position, pageSize))
        {
            var next = page.ContinuationToken is null ? null : token.Write(page.ContinuationToken);
            return new StorePage(page.Values.Select(ToStore).OrderByDescending(s => s.CreatedAt).ToList(), next);
        }
        return new StorePage([], null);
    }

    /// <summary>
    /// The stores (one owner's, or every owner's when null) whose row was written after <paramref name="after"/>,
    /// each with the table's own write time (Timestamp), oldest write first: the change feed of the live streams.
    /// </summary>
    public async Task<List<StoreVersion>> ChangedSinceAsync(string? owner, DateTimeOffset after, CancellationToken ct = default)
    {
        await _created.Value;
        var filter = $"Timestamp gt datetime'{after.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}'";
        if (owner is not null)
        {
            filter = $"PartitionKey eq '{Escape(owner)}' and {filter}";
        }
        var changed = new List<StoreVersion>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            changed.Add(new StoreVersion(ToStore(entity), entity.Timestamp ?? after));
        }
        return changed.OrderBy(c => c.WrittenAt).ToList();
    }

    /// <summary>One store with the table's write time of its row.</summary>
    public async Task<StoreVersion?> GetVersionAsync(string id, CancellationToken ct = default)
    {
        await _created.Value;
        await foreach (var entity in _table.QueryAsync<TableEntity>($"RowKey eq '{Escape(id)}'", cancellationToken: ct))
        {
            return new StoreVersion(ToStore(entity), entity.Timestamp ?? default);
        }
        return null;
    }

    /// <summary>
    /// Claims an owner's store name for <paramref name="storeId"/> with one conditional insert, so of two requests for
    /// the same name only one wins, however close together they come (the store's own row is written later, by its
    /// orchestration). A claim holds until its store is Deleted; a claim whose store never started (the request that
    /// made it died first) is taken over once it is older than <paramref name="abandonedAfter"/>. Returns null when
    /// the name is now <paramref name="storeId"/>'s, else the id of the store that holds it.
    /// </summary>
    public Task<string?> ClaimNameAsync(string owner, string name, string storeId, DateTimeOffset now, TimeSpan abandonedAfter,
        Func<string, Task<bool>> started, CancellationToken ct = default) =>
        ClaimAsync(owner, name, storeId, now, abandonedAfter, started, holder => holder.Phase == StorePhase.Deleted, ct);

    /// <summary>
    /// Claims one of the owner's <paramref name="limit"/> active-store slots for <paramref name="storeId"/> (rows
    /// "~active-0", "~active-1", ... beside the names), so simultaneous requests never make more active stores than
    /// the limit. A slot is free again once its store is no longer active (Deleted, or Failed without resources),
    /// or was abandoned as a name claim is. Returns the slot the store holds (it may have held it already), or null
    /// when every slot is held by an active store.
    /// </summary>
    public async Task<string?> ClaimActiveSlotAsync(string owner, string storeId, int limit, DateTimeOffset now, TimeSpan abandonedAfter,
        Func<string, Task<bool>> started, CancellationToken ct = default, bool newStore = false)
    {
        await _created.Value;
        if (newStore && GuessFreeSlot(owner, limit) is { } guess)
        {
            // A new store holds no slot yet: try one this process last saw free, without reading the owner's slots first.
            try
            {
                await _claims.AddEntityAsync(Claim(owner, guess, storeId, now), ct);
                NoteSlot(owner, guess, held: true);
                return guess;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Taken meanwhile: read them all.
            }
        }
        var held = new HashSet<string>();
        var filter = $"PartitionKey eq '{Escape(owner)}' and RowKey ge '{SlotPrefix}' and RowKey lt '{SlotPrefix[..^1]}.'";
        await foreach (var slot in _claims.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            if (slot.GetString("StoreId") == storeId)
            {
                return slot.RowKey;
            }
            held.Add(slot.RowKey);
        }
        _slotsSeen[owner] = [.. held];
        // Free slots first, in random order so that simultaneous requests rarely try the same one; then those whose
        // store may have ended.
        var order = Slots(limit)
            .OrderBy(held.Contains).ThenBy(_ => Random.Shared.Next());
        foreach (var key in order)
        {
            if (await ClaimAsync(owner, key, storeId, now, abandonedAfter, started, holder => !holder.IsActive, ct) is null)
            {
                NoteSlot(owner, key, held: true);
                return key;
            }
        }
        return null;
    }

    /// <summary>Per owner, the slots this process last saw held (read, claimed or given back here); a hint, never a decision.</summary>
    private readonly ConcurrentDictionary<string, HashSet<string>> _slotsSeen = new(StringComparer.Ordinal);

    private string? GuessFreeSlot(string owner, int limit)
    {
        if (!_slotsSeen.TryGetValue(owner, out var seen))
        {
            // Never seen: only the first slot is a good guess (a new owner, or one whose stores this process has not met).
            return SlotPrefix + "0";
        }
        string[] free;
        lock (seen)
        {
            free = [.. Slots(limit).Where(k => !seen.Contains(k))];
        }
        return free.Length == 0 ? null : free[Random.Shared.Next(free.Length)];
    }

    private void NoteSlot(string owner, string key, bool held)
    {
        if (_slotsSeen.Count > 10_000)
        {
            _slotsSeen.Clear();
        }
        var seen = _slotsSeen.GetOrAdd(owner, _ => []);
        lock (seen)
        {
            if (held)
            {
                seen.Add(key);
            }
            else
            {
                seen.Remove(key);
            }
        }
    }

    /// <summary>Whether <paramref name="storeId"/> holds both its name and an active-store slot (its create request was accepted).</summary>
    public async Task<bool> HoldsClaimsAsync(string owner, string name, string storeId, CancellationToken ct = default)
    {
        await _created.Value;
        var (holdsName, holdsSlot) = (false, false);
        await foreach (var claim in _claims.QueryAsync<TableEntity>($"PartitionKey eq '{Escape(owner)}' and StoreId eq '{Escape(storeId)}'", cancellationToken: ct))
        {
            holdsName |= claim.RowKey == name;
            holdsSlot |= claim.RowKey.StartsWith(SlotPrefix, StringComparison.Ordinal);
        }
        return holdsName && holdsSlot;
    }

    /// <summary>Gives up a name or slot claim of <paramref name="storeId"/> (a request that claimed it and was then refused).</summary>
    public async Task ReleaseClaimAsync(string owner, string key, string storeId, CancellationToken ct = default)
    {
        var held = await _claims.GetEntityIfExistsAsync<TableEntity>(owner, key, cancellationToken: ct);
        if (held.HasValue && held.Value!.GetString("StoreId") == storeId)
        {
            try
            {
                await _claims.DeleteEntityAsync(owner, key, held.Value.ETag, ct);
                NoteSlot(owner, key, held: false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Taken over or gone meanwhile: not ours to delete any more.
            }
        }
    }

    private const string SlotPrefix = "~active-";

    /// <summary>The row keys of an owner's active-store slots.</summary>
    private static IEnumerable<string> Slots(int limit) =>
        Enumerable.Range(0, limit).Select(k => SlotPrefix + k.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static TableEntity Claim(string owner, string key, string storeId, DateTimeOffset now) =>
        new(owner, key) { ["StoreId"] = storeId, ["ClaimedAt"] = now };

    private async Task<string?> ClaimAsync(string owner, string key, string storeId, DateTimeOffset now, TimeSpan abandonedAfter,
        Func<string, Task<bool>> started, Func<Store, bool> frees, CancellationToken ct)
    {
        await _created.Value;
        var claim = Claim(owner, key, storeId, now);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _claims.AddEntityAsync(claim, ct);
                return null;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
            }
            var held = await _claims.GetEntityIfExistsAsync<TableEntity>(owner, key, cancellationToken: ct);
            if (!held.HasValue)
            {
                if (attempt >= 5)
                {
                    return "unknown";
                }
                continue;
            }
            var holder = held.Value!.GetString("StoreId");
            if (holder == storeId)
            {
                return null;
            }
            var store = await _table.GetEntityIfExistsAsync<TableEntity>(owner, holder, cancellationToken: ct);
            var free = store.HasValue
                ? frees(ToStore(store.Value!))
                : held.Value.GetDateTimeOffset("ClaimedAt") < now - abandonedAfter && !await started(holder);
            if (!free || attempt >= 5)
            {
                return holder;
            }
            try
            {
                await _claims.UpdateEntityAsync(claim, held.Value.ETag, TableUpdateMode.Replace, ct);
                return null;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
            }
        }
    }

    /// <summary>
    /// Reserves a new store id for <paramref name="owner"/> across every owner, with one conditional insert in the
    /// "{hub}StoreIds" table (row per id, kept for good: an id is never handed out twice, even after its store is
    /// deleted or its histories purged). False when the id was reserved before.
    /// </summary>
    public async Task<bool> ReserveIdAsync(string storeId, string owner, DateTimeOffset now, CancellationToken ct = default)
    {
        await _created.Value;
        try
        {
            await _ids.AddEntityAsync(new TableEntity(storeId, "") { ["Owner"] = owner, ["ReservedAt"] = now }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <summary>What an owner's Idempotency-Key was first used for, or null when the owner never used it.</summary>
    public async Task<IdempotencyRecord?> FindIdempotencyKeyAsync(string owner, string key, CancellationToken ct = default)
    {
        await _created.Value;
        var row = await _claims.GetEntityIfExistsAsync<TableEntity>(owner, IdempotencyRow(key), cancellationToken: ct);
        return row.HasValue ? new IdempotencyRecord(row.Value!.GetString("StoreId"), row.Value.GetString("Request")) : null;
    }

    /// <summary>
    /// Records that an owner's Idempotency-Key stands for <paramref name="record"/>, with one conditional insert in
    /// the owner's partition of the claims table (another owner's key is another row). When the key was recorded
    /// first by another request, that record is returned instead: the first one wins, however close they come.
    /// </summary>
    public async Task<IdempotencyRecord> RecordIdempotencyKeyAsync(string owner, string key, IdempotencyRecord record, DateTimeOffset now,
        CancellationToken ct = default)
    {
        await _created.Value;
        try
        {
            await _claims.AddEntityAsync(new TableEntity(owner, IdempotencyRow(key))
            {
                ["StoreId"] = record.StoreId,
                ["Request"] = record.Request,
                ["ClaimedAt"] = now,
            }, ct);
            return record;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (await FindIdempotencyKeyAsync(owner, key, ct))!;
        }
    }

    /// <summary>The row key of an Idempotency-Key: a hash, since a key may hold characters a row key may not.</summary>
    private static string IdempotencyRow(string key) =>
        "~idempotency-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    /// <summary>Writes the store's first row; when it exists already (a replayed activity), returns what is there.</summary>
    public async Task<Store> RecordAsync(Store store, CancellationToken ct = default)
    {
        await _created.Value;
        try
        {
            var response = await _table.AddEntityAsync(ToEntity(store), ct);
            Remember(store, response.Headers.ETag);
            return store;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return ToStore((await _table.GetEntityAsync<TableEntity>(store.Owner, store.Id, cancellationToken: ct)).Value);
        }
    }

    /// <summary>
    /// Applies an event to the store's row through <see cref="StoreLifecycle.Apply"/>: Accepted writes the first row
    /// (a row already there is what the event is applied to), any other reads the row and writes the result with its
    /// ETag. A refused event writes nothing.
    /// </summary>
    public async Task<StoreTransition> ApplyAsync(string owner, string id, StoreEvent e, DateTimeOffset now, CancellationToken ct = default)
    {
        if (e is StoreEvent.Accepted accepted)
        {
            var fresh = StoreLifecycle.Accept(accepted, now);
            var recorded = await RecordAsync(fresh, ct);
            return ReferenceEquals(recorded, fresh) ? new(fresh, null) : StoreLifecycle.Apply(recorded, e, now);
        }
        StoreTransition? transition = null;
        Store? before = null;
        var written = await UpdateAsync(owner, id, s => (transition = StoreLifecycle.Apply(before = s, e, now)).Store!, ct);
        return transition! with { Store = written, Before = before };
    }

    /// <summary>
    /// Change, then replace with the ETag of the row the change was made to: the row this process wrote last when it
    /// has it, else the row read. A concurrent writer (412) makes it read and apply the change again; no change (the same instance) writes nothing.
    /// </summary>
    public async Task<Store> UpdateAsync(string owner, string id, Func<Store, Store> change, CancellationToken ct = default)
    {
        await _created.Value;
        for (var attempt = 1; ; attempt++)
        {
            Store current;
            ETag etag;
            var remembered = false;
            if (attempt == 1 && _written.TryGetValue((owner, id), out var known))
            {
                (current, etag, remembered) = (known.Store, known.ETag, true);
            }
            else
            {
                var row = await _table.GetEntityAsync<TableEntity>(owner, id, cancellationToken: ct);
                (current, etag) = (ToStore(row.Value), row.Value.ETag);
            }
            var changed = change(current);
            if (ReferenceEquals(changed, current))
            {
                if (!remembered)
                {
                    return current;
                }
                // The row this process wrote last may be stale: decide again on the row as it is.
                _written.TryRemove((owner, id), out _);
                continue;
            }
            try
            {
                var response = await _table.UpdateEntityAsync(ToEntity(changed), etag, TableUpdateMode.Replace, ct);
                Remember(changed, response.Headers.ETag);
                return changed;
            }
            catch (RequestFailedException e) when ((e.Status == 412 && attempt < 20) || (e.Status == 404 && remembered))
            {
                _written.TryRemove((owner, id), out _);
            }
        }
    }

    /// <summary>Keeps the row for the next update while the store is in flight; a settled store's next change reads.</summary>
    private void Remember(Store store, ETag? etag)
    {
        if (etag is { } known && store.Phase is StorePhase.Queued or StorePhase.Provisioning or StorePhase.Deleting)
        {
            _written[(store.Owner, store.Id)] = (store, known);
        }
        else
        {
            _written.TryRemove((store.Owner, store.Id), out _);
        }
    }

    private static string Escape(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    private static TableEntity ToEntity(Store s) => new(s.Owner, s.Id)
    {
        ["Name"] = s.Name,
        ["Engine"] = s.Engine,
        ["Plan"] = s.Plan,
        ["Phase"] = s.Phase.ToString(),
        ["Conditions"] = JsonSerializer.Serialize(s.Conditions, Json),
        ["Step"] = s.Step?.ToString(),
        ["Progress"] = s.Progress,
        ["Url"] = s.Url,
        ["AdminUrl"] = s.AdminUrl,
        ["CreatedAt"] = s.CreatedAt,
        ["UpdatedAt"] = s.UpdatedAt,
        ["LastError"] = s.LastError is { Length: > 30_000 } text ? text[..30_000] : s.LastError,
        ["Attempt"] = s.Attempt,
        ["HoldsResources"] = s.HoldsResources,
    };

    private static Store ToStore(TableEntity e) => new()
    {
        Id = e.RowKey,
        Owner = e.PartitionKey,
        Name = e.GetString("Name"),
        Engine = e.GetString("Engine"),
        Plan = e.GetString("Plan"),
        Phase = Enum.Parse<StorePhase>(e.GetString("Phase")),
        Conditions = JsonSerializer.Deserialize<List<StoreCondition>>(e.GetString("Conditions") ?? "[]", Json) ?? [],
        Step = Enum.TryParse<StoreStep>(e.GetString("Step"), out var step) ? step : null,
        Progress = e.GetInt32("Progress") ?? 0,
        Url = e.GetString("Url"),
        AdminUrl = e.GetString("AdminUrl"),
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
        LastError = e.GetString("LastError"),
        Attempt = e.GetInt32("Attempt") ?? 1,
        HoldsResources = e.GetBoolean("HoldsResources") ?? false,
    };
}

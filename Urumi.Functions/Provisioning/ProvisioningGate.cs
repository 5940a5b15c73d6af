using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// What a signal to the gate asks: a slot, to give one back, a new capacity (an operator's setting), or to read the
/// waiting list again (a keeper that saw stores wait beside a free slot).
/// </summary>
[JsonConverter(typeof(NamedEnumConverter<GateOp>))]
public enum GateOp
{
    Acquire,
    Release,
    Configure,
    Recount,
}

/// <summary>A request to the gate.</summary>
public sealed record GateSignal(GateOp Op, string? InstanceId = null, int? Capacity = null, TimeSpan? HolderCheck = null);

/// <summary>Where a provisioning stands at the gate.</summary>
[JsonConverter(typeof(NamedEnumConverter<GatePlace>))]
public enum GatePlace
{
    Waiting,
    Holding,
}

/// <summary>A provisioning's custom status while it is at the gate: the waiting list is made of these.</summary>
public sealed record GateTicket(GatePlace Place);

/// <summary>
/// The gate's state (its input across ContinueAsNew), of bounded size whatever the queue length: who holds a slot
/// (at most Capacity ids), how many wait (a count, not who: see <see cref="GateQueue"/>), whether the waiting list
/// must be read before anything else (a new gate, or one recreated after it was lost), how long the gate waits,
/// full with stores waiting, before it checks whether a holder ended without releasing its slot (terminated by hand),
/// when the waiting list must be read again (UTC; <see cref="ProvisioningGate.Admit"/>), and whether a read that
/// finds fewer waiters than counted keeps the count (<paramref name="KeepMissedCount"/>).
/// </summary>
/// <param name="KeepMissedCount">
/// False in a state written by a build before this rule: a gate generation started then is replayed by the rule its
/// history was made with (a replay must schedule what it scheduled), and its next generation takes the rule.
/// </param>
public sealed record GateState(int Capacity, List<string> Holders, int Waiting = 0, TimeSpan? HolderCheck = null, bool Rebuild = true,
    DateTime? RecheckAt = null, bool KeepMissedCount = false)
{
    public static readonly TimeSpan DefaultHolderCheck = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after a read that missed a waiter it had counted, with a slot free, the gate reads again. A provisioning
    /// sends its acquire a few milliseconds before the status that shows it waiting is written (DurableTask.AzureStorage
    /// sends an episode's messages first), so a second read finds it.
    /// </summary>
    public static readonly TimeSpan RecheckDelay = TimeSpan.FromSeconds(1);

    public bool HasFreeSlot => Holders.Count < Capacity;

    /// <summary>Full, with stores waiting: only a release (or a holder found ended) lets the next one in.</summary>
    public bool IsBlocked => Waiting > 0 && !HasFreeSlot;

    /// <summary>Who is next must be read from the provisionings: a slot is free and stores wait, or the gate is new.</summary>
    public bool MustReadQueue => Rebuild || (Waiting > 0 && HasFreeSlot);

    /// <summary>The state a gate of this build starts with.</summary>
    public static GateState New(int capacity, TimeSpan? holderCheck = null) => new(capacity, [], HolderCheck: holderCheck, KeepMissedCount: true);
}

/// <summary>What the gate shows in its custom status: counts only, so it stays small however many stores wait.</summary>
public sealed record GateStatus(int Capacity, int Holding, int Waiting, DateTime UpdatedAt)
{
    public static GateStatus Of(GateState state, DateTime now) => new(state.Capacity, state.Holders.Count, state.Waiting, now);
}

/// <summary>What the gate asks when it reads the waiting list: the oldest <paramref name="Take"/> waiters that are not holders.</summary>
public sealed record GateQueueQuery(int Take, List<string> Holders, bool WithHolding);

/// <summary>
/// The waiting list as read: the oldest waiters (at most the query's Take), how many wait in all (holders excluded),
/// and, for a rebuild, the provisionings that hold a slot.
/// </summary>
public sealed record GateQueueView(List<string> Oldest, int Waiting, List<string> Holding);

/// <summary>
/// A durable semaphore: one singleton orchestration that admits at most Capacity provisionings at once, across
/// every worker, in arrival order. Provisionings send it "Gate" signals; it answers "Granted".
/// </summary>
/// <remarks>
/// The waiting list is not kept by the gate: each provisioning shows its own place in its custom status
/// (<see cref="GateTicket"/>), so the gate holds only its holders and a count, and a gate that fails, is terminated or
/// purged is recreated (<see cref="ProvisioningGateKeeper"/>) and rebuilds its holders and waiting list from the
/// provisionings (<see cref="GateQueue"/>). No queued store depends on what the gate remembers.
/// </remarks>
public static class ProvisioningGate
{
    public const string InstanceId = "urumi-provisioning-gate";
    public const string SignalEvent = "Gate";
    public const string GrantedEvent = "Granted";
    private const int SignalsPerGeneration = 100;

    [Function(nameof(ProvisioningGate))]
    public static async Task Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var state = context.GetInput<GateState>() ?? GateState.New(2);
        state = await AdmitWaitersAsync(context, state);
        Task<JsonElement>? next = null;
        Task? check = null;
        Task? recheck = null;
        for (var signals = 0; signals < SignalsPerGeneration;)
        {
            // Read as JSON first: a signal the gate cannot read (sent by hand) is skipped, not a message that wedges it.
            next ??= context.WaitForExternalEvent<JsonElement>(SignalEvent);
            // One timer of each kind at a time, however many signals come meanwhile.
            if (state.IsBlocked)
            {
                check ??= context.CreateTimer(state.HolderCheck ?? GateState.DefaultHolderCheck, CancellationToken.None);
            }
            if (state.RecheckAt is { } due)
            {
                recheck ??= context.CreateTimer(due, CancellationToken.None);
            }
            var fired = check is null && recheck is null ? next : await Task.WhenAny(new[] { next, check, recheck }.OfType<Task>());
            if (fired == recheck)
            {
                recheck = null;
                // A later miss moved the recheck on: the loop makes a timer for the new time.
                if (state.RecheckAt is { } at && context.CurrentUtcDateTime >= at)
                {
                    state = await AdmitWaitersAsync(context, state, recheck: true);
                }
                continue;
            }
            if (fired == check)
            {
                check = null;
                if (state.IsBlocked)
                {
                    // A provisioning terminated by hand never sends its release: free the slots of holders that ended.
                    var ended = await context.CallActivityAsync<List<string>>(nameof(StoreActivities.FindEndedGateHolders), state.Holders.ToList());
                    foreach (var holder in ended)
                    {
                        state = Apply(state, new GateSignal(GateOp.Release, holder), out _);
                    }
                    state = await AdmitWaitersAsync(context, state);
                }
                continue;
            }
            var raw = await next;
            next = null;
            signals++;
            if (ReadSignal(raw) is not { } signal)
            {
                context.CreateReplaySafeLogger(nameof(ProvisioningGate)).LogWarning("Provisioning gate: skipped a signal it cannot read: {Signal}", raw.GetRawText());
                continue;
            }
            state = Apply(state, signal, out var granted);
            Grant(context, granted);
            state = await AdmitWaitersAsync(context, state);
        }
        // Keeps the history short; signals not yet processed carry over. The next generation takes this build's rules.
        context.ContinueAsNew(state with { KeepMissedCount = true });
    }

    /// <summary>
    /// Reads the waiting list when it must (a free slot with stores waiting, or a rebuild) and admits the oldest;
    /// <paramref name="recheck"/> is the read again after one that missed a waiter.
    /// </summary>
    private static async Task<GateState> AdmitWaitersAsync(TaskOrchestrationContext context, GateState state, bool recheck = false)
    {
        if (state.MustReadQueue)
        {
            var view = await context.CallActivityAsync<GateQueueView>(nameof(GateActivities.ReadGateQueue),
                new GateQueueQuery(Math.Max(0, state.Capacity - state.Holders.Count), [.. state.Holders], state.Rebuild), ReadRetry);
            state = Admit(state, view, context.CurrentUtcDateTime, out var granted, recheck);
            Grant(context, granted);
        }
        else if (recheck)
        {
            state = state with { RecheckAt = null };
        }
        context.SetCustomStatus(GateStatus.Of(state, context.CurrentUtcDateTime));
        return state;
    }

    private static readonly JsonSerializerOptions SignalJson = new(JsonSerializerDefaults.Web);

    /// <summary>The signal in <paramref name="raw"/>, or null when it is not one.</summary>
    public static GateSignal? ReadSignal(JsonElement raw)
    {
        try
        {
            return raw.Deserialize<GateSignal>(SignalJson) is { } signal && Enum.IsDefined(signal.Op) ? signal : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly TaskOptions ReadRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(30)));

    private static void Grant(TaskOrchestrationContext context, IReadOnlyList<string> granted)
    {
        foreach (var id in granted)
        {
            context.SendEvent(id, GrantedEvent, true);
        }
    }

    /// <summary>
    /// Applies a signal; <paramref name="granted"/> is who it admitted at once (an acquire that finds a free slot and
    /// nobody waiting). With stores waiting, an acquire only counts: who is next is read from the provisionings.
    /// </summary>
    public static GateState Apply(GateState state, GateSignal signal, out IReadOnlyList<string> granted)
    {
        granted = [];
        switch (signal.Op)
        {
            case GateOp.Acquire when signal.InstanceId is { } id && !state.Holders.Contains(id):
                if (state.HasFreeSlot && state.Waiting == 0 && !state.Rebuild && state.RecheckAt is null)
                {
                    state.Holders.Add(id);
                    granted = [id];
                    return state;
                }
                return state with { Waiting = state.Waiting + 1 };
            case GateOp.Release when signal.InstanceId is { } id:
                // A release from one that did not hold a slot is a waiter leaving the queue (deleted, or out of time).
                return state.Holders.Remove(id) ? state : state with { Waiting = Math.Max(0, state.Waiting - 1) };
            case GateOp.Configure when signal.Capacity is > 0 and var capacity:
                return state with { Capacity = capacity, HolderCheck = signal.HolderCheck ?? state.HolderCheck };
            case GateOp.Recount:
                // A keeper saw at least one store wait: counted, it makes the gate read who waits (and a read that
                // finds nobody is checked again, then believed).
                return state with { Waiting = Math.Max(state.Waiting, 1) };
            default:
                return state;
        }
    }

    /// <summary>
    /// Admits the oldest waiters into the free slots, first come first served (a rebuild first takes back the
    /// holders it finds); the count of waiters becomes what was read, less those admitted. When the read found fewer
    /// waiters than the gate had counted, an asker may not show its place yet (its acquire came first): the count is
    /// kept, and with a slot still free the gate reads again <see cref="GateState.RecheckDelay"/> after
    /// <paramref name="now"/> (a later miss moves that on); that <paramref name="recheck"/> read is believed, so a
    /// count that was wrong (an asker counted twice: once read, once heard) is corrected then.
    /// </summary>
    public static GateState Admit(GateState state, GateQueueView view, DateTime now, out IReadOnlyList<string> granted, bool recheck = false)
    {
        if (state.Rebuild)
        {
            state.Holders.AddRange(view.Holding.Where(h => !state.Holders.Contains(h)));
        }
        var admitted = view.Oldest.Where(id => !state.Holders.Contains(id)).Distinct().Take(Math.Max(0, state.Capacity - state.Holders.Count)).ToList();
        state.Holders.AddRange(admitted);
        granted = admitted;
        var missed = state.KeepMissedCount && !recheck && !state.Rebuild && view.Waiting < state.Waiting;
        var waiting = (missed ? state.Waiting : view.Waiting) - admitted.Count;
        return state with { Waiting = Math.Max(0, waiting), Rebuild = false, RecheckAt = missed && state.HasFreeSlot ? now + GateState.RecheckDelay : null };
    }

    /// <summary>The instances waiting for a slot, in the order they will get one.</summary>
    public static async Task<List<string>> WaitingAsync(DurableTaskClient client, CancellationToken ct) =>
        GateQueue.Order(await GateQueue.ReadAsync(client, ct));
}

/// <summary>
/// The waiting list, read from the provisionings themselves: every running ProvisionStore whose custom status is a
/// <see cref="GateTicket"/> waiting, in the order the gate admits them (when the provisioning was created, then its
/// instance id). A store's queue position is its rank in that order: nothing of it is kept in the gate, so the
/// gate's state and status stay small, and positions cannot disagree with whom the gate admits next. Reading it is
/// one query over the running instances (a page per thousand); the gate reads it only when a slot frees with stores
/// waiting, and the API when it shows a Queued store.
/// </summary>
public static class GateQueue
{
    /// <summary>A provisioning at the gate.</summary>
    public sealed record Entry(string InstanceId, DateTimeOffset CreatedAt, GatePlace Place);

    public static async Task<List<Entry>> ReadAsync(DurableTaskClient client, CancellationToken ct)
    {
        var query = new OrchestrationQuery { Statuses = [OrchestrationRuntimeStatus.Running], FetchInputsAndOutputs = true, PageSize = 1000 };
        var entries = new List<Entry>();
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(ct))
        {
            if (instance.Name == nameof(ProvisionStore) && TicketOf(instance) is { } ticket)
            {
                entries.Add(new Entry(instance.InstanceId, instance.CreatedAt, ticket.Place));
            }
        }
        return entries;
    }

    /// <summary>The waiters in the order the gate admits them.</summary>
    public static List<string> Order(IEnumerable<Entry> entries) =>
        [.. entries.Where(e => e.Place == GatePlace.Waiting).Order(Ahead).Select(e => e.InstanceId)];

    /// <summary>Each waiter's queue position (1 is next).</summary>
    public static Dictionary<string, int> Positions(IReadOnlyList<string> order) =>
        order.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i + 1, StringComparer.Ordinal);

    /// <summary>
    /// What the gate asked: the oldest waiters that are not holders, their number, and who holds a slot. One pass,
    /// keeping only the oldest Take (at most the gate's capacity).
    /// </summary>
    public static GateQueueView View(IEnumerable<Entry> entries, GateQueueQuery query)
    {
        var holders = query.Holders.ToHashSet(StringComparer.Ordinal);
        var oldest = new List<Entry>(query.Take + 1);
        var holding = new List<string>();
        var waiting = 0;
        foreach (var entry in entries)
        {
            if (entry.Place == GatePlace.Holding)
            {
                holding.Add(entry.InstanceId);
                continue;
            }
            if (holders.Contains(entry.InstanceId))
            {
                continue;
            }
            waiting++;
            if (oldest.Count == query.Take && (query.Take == 0 || Ahead.Compare(entry, oldest[^1]) > 0))
            {
                continue;
            }
            var at = oldest.BinarySearch(entry, Ahead);
            oldest.Insert(at < 0 ? ~at : at, entry);
            if (oldest.Count > query.Take)
            {
                oldest.RemoveAt(oldest.Count - 1);
            }
        }
        return new GateQueueView([.. oldest.Select(e => e.InstanceId)], waiting, query.WithHolding ? holding : []);
    }

    /// <summary>Who is ahead: created first, then by instance id.</summary>
    private static readonly Comparer<Entry> Ahead = Comparer<Entry>.Create((a, b) =>
        a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : string.CompareOrdinal(a.InstanceId, b.InstanceId));

    private static GateTicket? TicketOf(OrchestrationMetadata instance)
    {
        try
        {
            return instance.ReadCustomStatusAs<GateTicket>();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The gate's own activity: it reads the waiting list (it observes; the gate decides whom to admit).</summary>
public sealed class GateActivities(DurableTaskClient durable)
{
    [Function(nameof(ReadGateQueue))]
    public async Task<GateQueueView> ReadGateQueue([ActivityTrigger] GateQueueQuery query, CancellationToken ct) =>
        GateQueue.View(await GateQueue.ReadAsync(durable, ct), query);
}

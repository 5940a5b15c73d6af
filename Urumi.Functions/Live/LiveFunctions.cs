using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Http;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Live;

/// <summary>
/// Live progress as Server-Sent Events, read from the store registry (which the orchestrations' activities write at
/// each step) and the provisioning gate (queue positions). Any control-plane process can serve any stream: the
/// state is in storage, and the event ids are the rows' table write times.
/// </summary>
public sealed class LiveFunctions(StoreRegistry registry, IOptions<UrumiOptions> options, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private LiveSettings Settings => options.Value.Live;

    /// <summary>GET /api/stores/{id}/stream: the store each time it changes (phase, step, progress, queue position).</summary>
    [Function("StoreStreamHttp")]
    public async Task<IResult> Store(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{id}/stream")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        if (!ServerSentEvents.TryLastEventId(request, IsStoreEventId, out var lastId))
        {
            return ServerSentEvents.InvalidLastEventId();
        }
        if (await CurrentAsync(client, id, ct) is not { } first || !caller.MaySee(first.Store.Owner))
        {
            return Problems.Create(404, "store-not-found", "No such store", $"There is no store '{id}' that this key may see.");
        }
        var events = new ServerSentEvents(request.HttpContext.Response);
        await events.StartAsync(ct);
        var quietSince = time.GetUtcNow();
        await UntilClosedAsync(async () =>
        {
            for (var current = first; !ct.IsCancellationRequested; current = await CurrentAsync(client, id, ct) ?? current)
            {
                var eventId = StoreEventId(current);
                if (eventId != lastId)
                {
                    await events.EventAsync("store", JsonSerializer.Serialize(current.Store, Json), eventId, ct);
                    (lastId, quietSince) = (eventId, time.GetUtcNow());
                }
                quietSince = await HeartbeatIfQuietAsync(events, quietSince, ct);
                await Task.Delay(Settings.PollInterval, time, ct);
            }
        }, ct);
        return Results.Empty;
    }

    /// <summary>GET /api/stores/stream: every store of the caller (every owner's for the admin) as it changes.</summary>
    [Function("StoresStreamHttp")]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/stream")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        if (!ServerSentEvents.TryLastEventId(request, StoreFeed.IsEventId, out var lastId))
        {
            return ServerSentEvents.InvalidLastEventId();
        }
        var feed = new StoreFeed(lastId, time.GetUtcNow(), Settings.Overlap, Settings.Overlap + Settings.PollInterval);
        var events = new ServerSentEvents(request.HttpContext.Response);
        await events.StartAsync(ct);
        var quietSince = time.GetUtcNow();
        await UntilClosedAsync(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                var changed = await registry.ChangedSinceAsync(caller.OwnerFilter, feed.ReadFrom, ct);
                var sent = feed.Changed(changed).ToList();
                if (feed.Queued.Count > 0)
                {
                    var waiting = await ProvisioningGate.WaitingAsync(client, ct);
                    sent.AddRange(feed.Positions(waiting.Select(i => Stores.Store.IdOfInstance(i) ?? i).ToList()));
                }
                foreach (var e in sent)
                {
                    await events.EventAsync("store", JsonSerializer.Serialize(e.Store, Json), e.Id, ct);
                    quietSince = time.GetUtcNow();
                }
                quietSince = await HeartbeatIfQuietAsync(events, quietSince, ct);
                await Task.Delay(Settings.PollInterval, time, ct);
            }
        }, ct);
        return Results.Empty;
    }

    /// <summary>
    /// The store's row with its queue position, or, before its first activity wrote the row, the store as its
    /// accepted request describes it (so a page opened right after the POST streams from the start).
    /// </summary>
    private async Task<StoreVersion?> CurrentAsync(DurableTaskClient client, string id, CancellationToken ct)
    {
        if (!StoreRequestBody.IsStoreId(id))
        {
            return null;
        }
        if (await registry.GetVersionAsync(id, ct) is { } row)
        {
            return row with { Store = (await StoreFunctions.WithQueuePositions(client, [row.Store], ct))[0] };
        }
        var accepted = await client.GetInstanceAsync(Stores.Store.ProvisionInstanceId(id, 1), true, ct);
        return accepted is { IsCompleted: false } && accepted.ReadInputAs<StoreRequest>() is { } request
            ? new StoreVersion(StoreLifecycle.Accept(request.Accepted, accepted.CreatedAt), DateTimeOffset.MinValue)
            : null;
    }

    /// <summary>An id <see cref="StoreEventId"/> makes: write time ticks, '-', queue position.</summary>
    private static bool IsStoreEventId(string id) =>
        id.Split('-') is [var ticks, var position] && StoreFeed.IsEventId(ticks)
        && int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    /// <summary>The store's version: its row's write time and its place in the queue (which changes without a write).</summary>
    private static string StoreEventId(StoreVersion v) =>
        string.Create(CultureInfo.InvariantCulture, $"{v.WrittenAt.UtcTicks}-{v.Store.QueuePosition ?? 0}");

    private async Task<DateTimeOffset> HeartbeatIfQuietAsync(ServerSentEvents events, DateTimeOffset quietSince, CancellationToken ct)
    {
        if (time.GetUtcNow() - quietSince < Settings.Heartbeat)
        {
            return quietSince;
        }
        await events.HeartbeatAsync(ct);
        return time.GetUtcNow();
    }

    /// <summary>Runs a stream until the client goes away (which cancels the request and fails its writes).</summary>
    private static async Task UntilClosedAsync(Func<Task> stream, CancellationToken ct)
    {
        try
        {
            await stream();
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client went away: the stream ends.
        }
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask.Client;
using Urumi.Hosting;
using Urumi.Hosting.Http;
using Urumi.Functions.Audit;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Stores;

/// <summary>
/// /api/stores: create, list, read, delete and retry stores, and each store's audit timeline. Function-level:
/// each key of Auth:Keys names its owner, who sees and changes only their stores; the admin key sees all.
/// </summary>
public sealed class StoreFunctions(
    StoreRegistry registry,
    PlanCatalog plans,
    CreateRateLimiter rateLimiter,
    AuditTrail audit,
    IOptions<UrumiOptions> options,
    TimeProvider time)
{
    private UrumiOptions Options => options.Value;

    [Function("CreateStoreHttp")]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "stores")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        if (rateLimiter.TryAcquire(caller.Ip) is { } retryAfter)
        {
            request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Create(429, "rate-limited", "Too many stores requested",
                $"At most {Options.RateLimit.PermitLimit} store creations per {Options.RateLimit.WindowSeconds} s from one IP; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.");
        }
        var (body, problem) = await StoreRequestBody.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }
        var idempotencyKey = request.Headers["Idempotency-Key"].FirstOrDefault();
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200 || idempotencyKey.Any(char.IsControl)))
        {
            return Problems.Create(400, "validation", "The request is not valid", "The Idempotency-Key header must be 1-200 printable characters.",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["Idempotency-Key"] = ["must be 1-200 printable characters"] } });
        }
        var id = idempotencyKey is null ? $"{body!.Name}-{RandomSuffix()}" : $"{body!.Name}-{KeySuffix(caller.Owner, idempotencyKey)}";
        var provisionId = Store.ProvisionInstanceId(id, 1);
        if (idempotencyKey is not null && await client.GetInstanceAsync(provisionId, true, ct) is { } earlier)
        {
            return await Replay(request, client, earlier, body, ct);
        }
        if (await plans.RefusalAsync(body.Engine, body.Plan, ct) is { } unfit)
        {
            return unfit;
        }
        // The claims decide, each with conditional writes, so requests that arrive together cannot both pass; the
        // provisioning starts only once both succeeded. A refused request gives back what it claimed. If the process
        // dies between the claims and the start, the claims are abandoned: nothing started holds them, and they are
        // taken over after Urumi:ClaimHold (or the same request, sent again with its Idempotency-Key, starts it).
        var now = time.GetUtcNow();
        var storeRequest = new StoreRequest(id, body.Name, body.Engine, body.Plan, caller.Owner, $"{Options.Scheme}://{id}.{Options.StoreDomain}", 1, body.KeepFailed,
            new Requester(caller.Owner, caller.Ip), ProvisioningPolicy.From(Options.Provisioning), now);
        var nameClaim = registry.ClaimNameAsync(caller.Owner, body.Name, id, now, Options.ClaimHold, Started(client, ct), ct);
        var slotClaim = registry.ClaimActiveSlotAsync(caller.Owner, id, Options.MaxActiveStoresPerOwner, now, Options.ClaimHold, Started(client, ct), ct, newStore: true);
        try
        {
            await Task.WhenAll(nameClaim, slotClaim);
        }
        catch
        {
            await GiveBackAsync();
            throw;
        }
        if (nameClaim.Result is { } holder)
        {
            await GiveBackAsync();
            var holding = await registry.GetAsync(holder, ct);
            return NameTaken(body.Name, holder, $"{holder}, {holding?.Phase ?? StorePhase.Queued}");
        }
        if (slotClaim.Result is null)
        {
            await GiveBackAsync();
            var active = (await registry.ListOwnedAsync(caller.Owner, ct)).Count(s => s.IsActive);
            return StoreLimit(caller.Owner, Math.Max(active, Options.MaxActiveStoresPerOwner));
        }

        Task GiveBackAsync() => Task.WhenAll(
            nameClaim is { IsCompletedSuccessfully: true, Result: null } ? registry.ReleaseClaimAsync(caller.Owner, body.Name, id, CancellationToken.None) : Task.CompletedTask,
            slotClaim is { IsCompletedSuccessfully: true, Result: { } slot } ? registry.ReleaseClaimAsync(caller.Owner, slot, id, CancellationToken.None) : Task.CompletedTask);

        FailPoints.Hit("stores.beforeStart");
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), storeRequest, new StartOrchestrationOptions(provisionId), CancellationToken.None);
        }
        catch (OrchestrationAlreadyExistsException) when (idempotencyKey is not null)
        {
            // The same request sent again while the first was on its way: both claimed for the same id; answer as the first.
            return await Replay(request, client, (await client.GetInstanceAsync(provisionId, true, ct))!, body, ct);
        }
        return Accepted(request, client, Pending(storeRequest), provisionId);
    }

    private static Func<string, Task<bool>> Started(DurableTaskClient client, CancellationToken ct) =>
        async holder => await client.GetInstanceAsync(Store.ProvisionInstanceId(holder, 1), false, ct) is not null;

    private IResult StoreLimit(string owner, int active) =>
        Problems.Create(403, "store-limit", "Too many active stores",
            $"An owner may have {Options.MaxActiveStoresPerOwner} active stores; {owner} has {active}. Delete one first.",
            new Dictionary<string, object?> { ["limit"] = Options.MaxActiveStoresPerOwner, ["active"] = active });

    private static IResult NameTaken(string name, string storeId, string what) =>
        Problems.Create(409, "name-taken", "The name is taken", $"You already have a store named '{name}' ({what}).",
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["name"] = [$"'{name}' is already one of your stores"] }, ["storeId"] = storeId });

    [Function("ListStoresHttp")]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        var errors = new Dictionary<string, string[]>();
        StorePhase? phase = null;
        if (request.Query["status"].FirstOrDefault() is { } status)
        {
            if (Enum.TryParse<StorePhase>(status, ignoreCase: true, out var parsed) && !int.TryParse(status, out _))
            {
                phase = parsed;
            }
            else
            {
                errors["status"] = [$"must be one of {string.Join(", ", Enum.GetNames<StorePhase>())}"];
            }
        }
        var engine = request.Query["engine"].FirstOrDefault();
        if (engine is not null && !Store.Engines.Contains(engine))
        {
            errors["engine"] = [$"must be one of {string.Join(", ", Store.Engines)}"];
        }
        var name = request.Query["name"].FirstOrDefault();
        if (name is not null && !StoreRequestBody.IsNamePrefix(name))
        {
            errors["name"] = ["must be the start of a store name: 1-40 lowercase letters, digits or '-'"];
        }
        var owner = request.Query["owner"].FirstOrDefault();
        if (owner is not null && !caller.MaySee(owner))
        {
            errors["owner"] = ["only the admin key may list another owner's stores"];
        }
        var limit = 50;
        if (request.Query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, out limit) || limit is < 1 or > 200))
        {
            errors["limit"] = ["must be a whole number from 1 to 200"];
        }
        if (errors.Count > 0)
        {
            return Validation(errors);
        }
        var page = await registry.ListAsync(owner ?? caller.OwnerFilter, phase, engine, limit, request.Query["continuationToken"].FirstOrDefault(), ct, name);
        return Results.Json(new { items = await WithQueuePositions(client, page.Items, ct), continuationToken = page.ContinuationToken });
    }

    [Function("GetStoreHttp")]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken ct)
    {
        var (store, missing) = await FindAsync(request, id, ct, client);
        return missing ?? Results.Json(await WithQueuePosition(client, store!, ct));
    }

    [Function("DeleteStoreHttp")]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "stores/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken ct)
    {
        var (store, missing) = await FindAsync(request, id, ct);
        if (missing is not null)
        {
            return missing;
        }
        var caller = Caller.From(request.HttpContext);
        var deletes = await InstancesAsync(client, id + ".delete.", ct);
        if (deletes.FirstOrDefault(d => !d.IsCompleted) is { } running)
        {
            return Accepted(request, client, store!, running.InstanceId);
        }
        if (store!.Phase == StorePhase.Deleted)
        {
            return Accepted(request, client, store, deletes.LastOrDefault()?.InstanceId ?? Store.DeleteInstanceId(id, 1));
        }
        var deleteId = Store.DeleteInstanceId(id, deletes.Count + 1);
        var provisionId = Store.ProvisionInstanceId(id, store.Attempt);
        var provisioning = await client.GetInstanceAsync(provisionId, cancellation: ct);
        string? stopping = null;
        if (provisioning is { IsCompleted: false })
        {
            await client.RaiseEventAsync(provisionId, ProvisionStore.CancelEvent, new CancelRequest(new Requester(caller.Owner, caller.Ip), deleteId), ct);
            stopping = provisionId;
        }
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(DeleteStore),
                new DeleteRequest(id, store.Owner, new Requester(caller.Owner, caller.Ip), stopping, ProvisioningPolicy.From(Options.Provisioning)),
                new StartOrchestrationOptions(deleteId), ct);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // A concurrent DELETE started it: the same answer.
        }
        return Accepted(request, client, store with { Phase = StorePhase.Deleting }, deleteId);
    }

    [Function("RetryStoreHttp")]
    public async Task<IResult> Retry(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "stores/{id}/retry")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken ct)
    {
        var (store, missing) = await FindAsync(request, id, ct);
        if (missing is not null)
        {
            return missing;
        }
        var caller = Caller.From(request.HttpContext);
        if (store!.Phase != StorePhase.Failed && !await ProvisioningEndedAsync(client, store, ct))
        {
            return Problems.Create(409, "not-failed", "Only a Failed store, or one whose provisioning was ended by hand, can be retried", $"Store {id} is {store.Phase}.");
        }
        if (!store.HoldsResources && null == await registry.ClaimActiveSlotAsync(store.Owner, id, Options.MaxActiveStoresPerOwner, time.GetUtcNow(), Options.ClaimHold, Started(client, ct), ct))
        {
            return StoreLimit(store.Owner, Options.MaxActiveStoresPerOwner);
        }
        var attempt = store.Attempt + 1;
        var keepFailed = (await client.GetInstanceAsync(Store.ProvisionInstanceId(id, store.Attempt), true, ct))?.ReadInputAs<StoreRequest>()?.KeepFailed ?? false;
        var storeRequest = new StoreRequest(id, store.Name, store.Engine, store.Plan, store.Owner, $"{Options.Scheme}://{id}.{Options.StoreDomain}", attempt, keepFailed,
            new Requester(caller.Owner, caller.Ip), ProvisioningPolicy.From(Options.Provisioning), time.GetUtcNow());
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), storeRequest, new StartOrchestrationOptions(Store.ProvisionInstanceId(id, attempt)), ct);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return Problems.Create(409, "retry-running", "A retry is already running", $"Store {id} is being retried (attempt {attempt}).");
        }
        return Accepted(request, client, store with { Phase = StorePhase.Queued, Attempt = attempt, LastError = null }, Store.ProvisionInstanceId(id, attempt));
    }

    [Function("StoreEventsHttp")]
    public async Task<IResult> Events(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{id}/events")] HttpRequest request,
        string id,
        CancellationToken ct)
    {
        var (_, missing) = await FindAsync(request, id, ct);
        return missing ?? Results.Json(new { storeId = id, items = await audit.ForStoreAsync(id, ct) });
    }

    /// <summary>The store when it exists and the caller may see it; otherwise 404 (another owner's store is not disclosed).</summary>
    /// <remarks>
    /// With <paramref name="client"/>, a store accepted a moment ago whose row the orchestration has not written yet
    /// is shown from its request (Queued), so the Location of a 202 always answers.
    /// </remarks>
    private async Task<(Store? Store, IResult? Missing)> FindAsync(HttpRequest request, string id, CancellationToken ct, DurableTaskClient? client = null)
    {
        var caller = Caller.From(request.HttpContext);
        var store = StoreRequestBody.IsStoreId(id) ? await registry.GetAsync(id, ct) : null;
        if (store is null && client is not null && StoreRequestBody.IsStoreId(id)
            && await client.GetInstanceAsync(Store.ProvisionInstanceId(id, 1), true, ct) is { IsCompleted: false } accepted
            && accepted.ReadInputAs<StoreRequest>() is { } first)
        {
            store = Pending(first, accepted.CreatedAt);
        }
        return store is not null && caller.MaySee(store.Owner)
            ? (store, null)
            : (null, Problems.Create(404, "store-not-found", "No such store", $"There is no store '{id}' that this key may see."));
    }

    private async Task<IResult> Replay(HttpRequest request, DurableTaskClient client, OrchestrationMetadata earlier, StoreRequestBody body, CancellationToken ct)
    {
        var first = earlier.ReadInputAs<StoreRequest>()!;
        if (first.Engine != body.Engine || first.Plan != body.Plan || first.KeepFailed != body.KeepFailed)
        {
            return Problems.Create(422, "idempotency-key-reused", "The Idempotency-Key was used for another request",
                $"This key created store {first.StoreId} ({first.Engine}, {first.Plan}); send a new key for a different store.");
        }
        var store = await registry.GetAsync(first.StoreId, ct) ?? Pending(first, earlier.CreatedAt);
        return Accepted(request, client, await WithQueuePosition(client, store, ct), earlier.InstanceId);
    }

    /// <summary>
    /// A store left Queued or Provisioning by a provisioning that ended without saying so (terminated through the
    /// management API): its row was never told, so the store may be retried as a Failed one.
    /// </summary>
    private static async Task<bool> ProvisioningEndedAsync(DurableTaskClient client, Store store, CancellationToken ct) =>
        store.Phase is StorePhase.Queued or StorePhase.Provisioning
        && await client.GetInstanceAsync(Store.ProvisionInstanceId(store.Id, store.Attempt), cancellation: ct) is { IsCompleted: true };

    private Store Pending(StoreRequest r, DateTimeOffset? createdAt = null) => r.Queued(createdAt ?? time.GetUtcNow());

    /// <summary>
    /// Sets the queue position of the Queued stores: their rank among the waiting provisionings (see GateQueue), read
    /// only when there is a Queued store.
    /// </summary>
    internal static async Task<IReadOnlyList<Store>> WithQueuePositions(DurableTaskClient client, IReadOnlyList<Store> stores, CancellationToken ct)
    {
        if (!stores.Any(s => s.Phase == StorePhase.Queued))
        {
            return stores;
        }
        var positions = GateQueue.Positions(await ProvisioningGate.WaitingAsync(client, ct));
        return stores.Select(s => s.Phase == StorePhase.Queued && positions.TryGetValue(Store.ProvisionInstanceId(s.Id, s.Attempt), out var p) ? s with { QueuePosition = p } : s).ToList();
    }

    private static async Task<Store> WithQueuePosition(DurableTaskClient client, Store store, CancellationToken ct) =>
        (await WithQueuePositions(client, [store], ct))[0];

    private static IResult Accepted(HttpRequest request, DurableTaskClient client, Store store, string instanceId)
    {
        request.HttpContext.Response.Headers.RetryAfter = "2";
        return Results.Json(new { store, operation = Urumi.Hosting.Management.HttpManagementPayload.For(request, instanceId) }, statusCode: 202)
            .WithLocation($"{request.Scheme}://{request.Host}{request.PathBase}/api/stores/{store.Id}");
    }

    private static async Task<List<OrchestrationMetadata>> InstancesAsync(DurableTaskClient client, string prefix, CancellationToken ct)
    {
        var found = new List<OrchestrationMetadata>();
        await foreach (var i in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix }).WithCancellation(ct))
        {
            found.Add(i);
        }
        return found.OrderBy(i => i.CreatedAt).ToList();
    }

    private static string RandomSuffix() => Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

    internal static string KeySuffix(string owner, string key) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(owner + "\n" + key)))[..8].ToLowerInvariant();

    internal static IResult Validation(Dictionary<string, string[]> errors) =>
        Problems.Create(400, "validation", "The request is not valid", string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}.")),
            new Dictionary<string, object?> { ["errors"] = errors });
}

/// <summary>Sets the Location header on a result.</summary>
internal static class ResultExtensions
{
    public static IResult WithLocation(this IResult result, string location) => new LocationResult(result, location);

    private sealed class LocationResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}

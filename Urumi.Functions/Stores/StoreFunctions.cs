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
    AuditTrail audit,
    StoreAdmission admission,
    IOptions<UrumiOptions> options)
{
    private UrumiOptions Options => options.Value;

    [Function("CreateStoreHttp")]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "stores")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
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
        var answer = await admission.AdmitAsync(client, new Requester(caller.Owner, caller.Ip), body!, idempotencyKey, ct);
        return answer switch
        {
            AdmissionAnswer.Accepted { Replayed: true } a => Accepted(request, client, await WithQueuePosition(client, a.Store, ct), a.InstanceId),
            AdmissionAnswer.Accepted a => Accepted(request, client, a.Store, a.InstanceId),
            AdmissionAnswer.IdempotencyKeyReused => Problems.Create(422, "idempotency-key-reused", "The Idempotency-Key was used for another request",
                "This Idempotency-Key was first sent with a different request; send a new key for a different store.",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["Idempotency-Key"] = ["was first used for a different request"] } }),
            AdmissionAnswer.IdempotencyKeyConflict => Problems.Create(409, "idempotency-key-conflict", "The request cannot be completed", "Send it again with a new Idempotency-Key."),
            AdmissionAnswer.NoIdAvailable => Problems.Create(503, "store-id-unavailable", "No store id could be reserved", "Every store id proposed for this request was taken; send it again."),
            AdmissionAnswer.PlanRefused p => p.Problem,
            AdmissionAnswer.NameTaken n => NameTaken(n.Name, n.HolderId, $"{n.HolderId}, {n.HolderPhase}"),
            AdmissionAnswer.StoreLimit l => StoreLimit(l.Owner, l.Active),
            AdmissionAnswer.RateLimited r => RateLimited(request, r.RetryAfter),
            _ => throw new InvalidOperationException($"no answer for {answer}"),
        };
    }

    private IResult RateLimited(HttpRequest request, TimeSpan retryAfter)
    {
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(429, "rate-limited", "Too many stores requested",
            $"At most {Options.RateLimit.PermitLimit} store creations per {Options.RateLimit.WindowSeconds} s from one IP; try again in {seconds} s.");
    }

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
        var query = new QueryReader(request.Query);
        var phases = query.Enums<StorePhase>("status");
        var engine = query.OneOf("engine", Store.Engines);
        var name = query.Single("name");
        if (name is not null && !StoreRequestBody.IsNamePrefix(name))
        {
            query.Errors["name"] = ["must be the start of a store name: 1-40 lowercase letters, digits or '-'"];
        }
        var owner = query.Single("owner");
        if (owner is not null && !caller.MaySee(owner))
        {
            query.Errors["owner"] = ["only the admin key may list another owner's stores"];
        }
        var limit = query.Int("limit", 50, 1, 200);
        var token = query.Single("continuationToken", maxLength: 4096);
        if (query.Problem is { } invalid)
        {
            return invalid;
        }
        if (await registry.ListAsync(owner ?? caller.OwnerFilter, phases, engine, limit, token, ct, name) is not { } page)
        {
            return Validation(new() { ["continuationToken"] = ["is not a token this list gave with the same filters; start again without it"] });
        }
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
        var answer = await admission.RetryAsync(client, new Requester(caller.Owner, caller.Ip), store!, ct);
        return answer switch
        {
            RetryAnswer.Started started => Accepted(request, client, started.Store, started.InstanceId),
            RetryAnswer.NotFailed n => Problems.Create(409, "not-failed", "Only a Failed store, or one whose provisioning was ended by hand, can be retried", $"Store {id} is {n.Phase}."),
            RetryAnswer.StoreLimit l => StoreLimit(l.Owner, l.Limit),
            RetryAnswer.AlreadyRunning running => Problems.Create(409, "retry-running", "A retry is already running", $"Store {id} is being retried (attempt {running.Attempt})."),
            _ => throw new InvalidOperationException($"no answer for {answer}"),
        };
    }

    [Function("StoreEventsHttp")]
    public async Task<IResult> Events(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{id}/events")] HttpRequest request,
        string id,
        CancellationToken ct)
    {
        var (store, missing) = await FindAsync(request, id, ct);
        return missing ?? Results.Json(new { storeId = id, items = await audit.ForStoreAsync(id, store!.Owner, ct) });
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
            store = StoreLifecycle.Accept(first.Accepted, accepted.CreatedAt);
        }
        return store is not null && caller.MaySee(store.Owner)
            ? (store, null)
            : (null, Problems.Create(404, "store-not-found", "No such store", $"There is no store '{id}' that this key may see."));
    }

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

    internal static IResult Validation(Dictionary<string, string[]> errors) => Problems.Validation(errors);
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

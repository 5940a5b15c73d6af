using System.Text.Json;
using System.Threading.RateLimiting;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Provisioning;
using Urumi.Hosting;

namespace Urumi.Functions.Stores;

/// <summary>How a POST /api/stores was answered by <see cref="StoreAdmission"/>; the HTTP function maps each to a response.</summary>
public abstract record AdmissionAnswer
{
    /// <summary>The store was admitted (<paramref name="Replayed"/>: by an earlier request with the same Idempotency-Key).</summary>
    public sealed record Accepted(Store Store, string InstanceId, bool Replayed) : AdmissionAnswer;

    public sealed record IdempotencyKeyReused : AdmissionAnswer;

    /// <summary>The key stands for a store of another owner: nothing of it is answered.</summary>
    public sealed record IdempotencyKeyConflict : AdmissionAnswer;

    public sealed record NoIdAvailable : AdmissionAnswer;

    /// <summary>The plan does not fit the cluster (the catalog's problem answer).</summary>
    public sealed record PlanRefused(IResult Problem) : AdmissionAnswer;

    public sealed record NameTaken(string Name, string HolderId, StorePhase HolderPhase) : AdmissionAnswer;

    public sealed record StoreLimit(string Owner, int Active) : AdmissionAnswer;

    /// <summary>The caller's IP spent its creations for the window; <paramref name="RetryAfter"/> bounds the wait.</summary>
    public sealed record RateLimited(TimeSpan RetryAfter) : AdmissionAnswer;
}

/// <summary>How a POST /api/stores/{id}/retry was answered by <see cref="StoreAdmission.RetryAsync"/>.</summary>
public abstract record RetryAnswer
{
    /// <summary>Attempt <paramref name="Attempt"/> was started as <paramref name="InstanceId"/>.</summary>
    public sealed record Started(Store Store, int Attempt, string InstanceId) : RetryAnswer;

    /// <summary>The store is neither Failed nor left behind by a provisioning ended by hand.</summary>
    public sealed record NotFailed(StorePhase Phase) : RetryAnswer;

    public sealed record StoreLimit(string Owner, int Limit) : RetryAnswer;

    /// <summary>A retry of the same attempt was started by a request just before this one.</summary>
    public sealed record AlreadyRunning(int Attempt) : RetryAnswer;
}

/// <summary>
/// Admission of a new store, in one place: the Idempotency-Key (lookup, or replay of the first answer), the plan
/// check, the rate limit (only a request that is going to create a store spends a permit; one refused later does not
/// give it back), the store id reservation, the name and active-slot claims, then the start of its first provisioning
/// or the give-back of what was claimed, and the Accepted row.
/// </summary>
public sealed partial class StoreAdmission(
    StoreRegistry registry,
    PlanCatalog plans,
    [FromKeyedServices(CreateRateLimit.Key)] PartitionedRateLimiter<string> rateLimiter,
    IStoreIdGenerator ids,
    IOptions<UrumiOptions> options,
    TimeProvider time,
    ILogger<StoreAdmission> logger)
{
    private UrumiOptions Options => options.Value;

    public async Task<AdmissionAnswer> AdmitAsync(DurableTaskClient client, Requester caller, StoreRequestBody body, string? idempotencyKey, CancellationToken ct)
    {
        var (recorded, earlier) = await ReplayAsync(client, caller.Key, body, idempotencyKey, ct);
        if (earlier is not null)
        {
            return earlier;
        }
        if (await plans.RefusalAsync(body.Engine, body.Plan, ct) is { } unfit)
        {
            return new AdmissionAnswer.PlanRefused(unfit);
        }
        using var permit = rateLimiter.AttemptAcquire(caller.Ip);
        if (!permit.IsAcquired)
        {
            return new AdmissionAnswer.RateLimited(CreateRateLimit.RetryAfter(permit));
        }
        var (id, unavailable) = await ReserveIdAsync(client, caller.Key, body, idempotencyKey, recorded, ct);
        if (unavailable is not null)
        {
            return unavailable;
        }
        var now = time.GetUtcNow();
        var request = new StoreRequest(id!, body.Name, body.Engine, body.Plan, caller.Key, $"{Options.Scheme}://{id}.{Options.StoreDomain}", 1, body.KeepFailed,
            caller, ProvisioningPolicy.From(Options.Provisioning, Options.ClaimHold), now);
        return await ClaimAndStartAsync(client, request, idempotencyKey is not null, now, ct);
    }

    /// <summary>
    /// A retry of a Failed store (or of one whose provisioning was ended by hand: its row was never told): the next
    /// attempt, with the owner's active slot claimed again when the failed attempt gave its resources back.
    /// </summary>
    public async Task<RetryAnswer> RetryAsync(DurableTaskClient client, Requester caller, Store store, CancellationToken ct)
    {
        if (store.Phase != StorePhase.Failed && !await ProvisioningEndedAsync(client, store, ct))
        {
            return new RetryAnswer.NotFailed(store.Phase);
        }
        var now = time.GetUtcNow();
        if (!store.HoldsResources
            && await registry.ClaimActiveSlotAsync(store.Owner, store.Id, Options.MaxActiveStoresPerOwner, now, Options.ClaimHold, Started(client, ct), ct) is null)
        {
            return new RetryAnswer.StoreLimit(store.Owner, Options.MaxActiveStoresPerOwner);
        }
        var attempt = store.Attempt + 1;
        var keepFailed = (await client.GetInstanceAsync(Store.ProvisionInstanceId(store.Id, store.Attempt), true, ct))?.ReadInputAs<StoreRequest>()?.KeepFailed ?? false;
        var request = new StoreRequest(store.Id, store.Name, store.Engine, store.Plan, store.Owner, $"{Options.Scheme}://{store.Id}.{Options.StoreDomain}", attempt, keepFailed,
            caller, ProvisioningPolicy.From(Options.Provisioning, Options.ClaimHold), now);
        var instanceId = Store.ProvisionInstanceId(store.Id, attempt);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), request, ProvisionStore.StartOptions(instanceId), ct);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return new RetryAnswer.AlreadyRunning(attempt);
        }
        return new RetryAnswer.Started(store with { Phase = StorePhase.Queued, Attempt = attempt, LastError = null }, attempt, instanceId);
    }

    /// <summary>
    /// A store left Queued or Provisioning by a provisioning that ended without saying so (terminated through the
    /// management API): its row was never told, so the store may be retried as a Failed one.
    /// </summary>
    private static async Task<bool> ProvisioningEndedAsync(DurableTaskClient client, Store store, CancellationToken ct) =>
        store.Phase is StorePhase.Queued or StorePhase.Provisioning
        && await client.GetInstanceAsync(Store.ProvisionInstanceId(store.Id, store.Attempt), cancellation: ct) is { IsCompleted: true };

    /// <summary>
    /// The claims decide, each with conditional writes, so requests that arrive together cannot both pass; the
    /// provisioning starts only once both succeeded. A refused request gives back what it claimed. If the process
    /// dies between the claims and the start, the claims are abandoned: nothing started holds them, and they are
    /// taken over after Urumi:ClaimHold (or the same request, sent again with its Idempotency-Key, starts it).
    /// </summary>
    private async Task<AdmissionAnswer> ClaimAndStartAsync(DurableTaskClient client, StoreRequest r, bool keyed, DateTimeOffset now, CancellationToken ct)
    {
        var nameClaim = registry.ClaimNameAsync(r.Owner, r.Name, r.StoreId, now, Options.ClaimHold, Started(client, ct), ct);
        var slotClaim = registry.ClaimActiveSlotAsync(r.Owner, r.StoreId, Options.MaxActiveStoresPerOwner, now, Options.ClaimHold, Started(client, ct), ct, newStore: true);
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
            return new AdmissionAnswer.NameTaken(r.Name, holder, (await registry.GetAsync(holder, ct))?.Phase ?? StorePhase.Queued);
        }
        if (slotClaim.Result is null)
        {
            await GiveBackAsync();
            var active = (await registry.ListOwnedAsync(r.Owner, ct)).Count(s => s.IsActive);
            return new AdmissionAnswer.StoreLimit(r.Owner, Math.Max(active, Options.MaxActiveStoresPerOwner));
        }

        Task GiveBackAsync() => Task.WhenAll(
            nameClaim is { IsCompletedSuccessfully: true, Result: null } ? registry.ReleaseClaimAsync(r.Owner, r.Name, r.StoreId, CancellationToken.None) : Task.CompletedTask,
            slotClaim is { IsCompletedSuccessfully: true, Result: { } slot } ? registry.ReleaseClaimAsync(r.Owner, slot, r.StoreId, CancellationToken.None) : Task.CompletedTask);

        FailPoints.Hit("stores.beforeStart");
        var instanceId = Store.ProvisionInstanceId(r.StoreId, 1);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ProvisionStore), r, ProvisionStore.StartOptions(instanceId), CancellationToken.None);
        }
        catch (OrchestrationAlreadyExistsException) when (keyed)
        {
            // The same request sent again while the first was on its way: both claimed for the same id; answer as the first.
            return (await EarlierAnswerAsync(client, r.Owner, r.StoreId, ct))!;
        }
        return new AdmissionAnswer.Accepted(await RecordAcceptedAsync(r, now), instanceId, Replayed: false);
    }

    /// <summary>
    /// Writes the accepted store's row, so that the list, DELETE, retry and events see it from its 202 on, as GET
    /// does. The provisioning writes the same row when it is not there (a crash or a storage error here), so a failed
    /// write is logged and the request still accepted: it has started.
    /// </summary>
    private async Task<Store> RecordAcceptedAsync(StoreRequest r, DateTimeOffset now)
    {
        try
        {
            return (await registry.ApplyAsync(r.Owner, r.StoreId, r.Accepted, now, CancellationToken.None)).Store!;
        }
        catch (Azure.RequestFailedException e)
        {
            AcceptedRowNotWritten(logger, r.StoreId, e);
            return StoreLifecycle.Accept(r.Accepted, now);
        }
    }

    /// <summary>Whether a store id's first provisioning was started (a claim of a store never started may be taken over).</summary>
    public static Func<string, Task<bool>> Started(DurableTaskClient client, CancellationToken ct) =>
        async holder => await client.GetInstanceAsync(Store.ProvisionInstanceId(holder, 1), false, ct) is not null;

    /// <summary>
    /// A POST sent again with its Idempotency-Key: the record of the key's first use (in the owner's partition: another
    /// owner's key is another record), and, when that store was already accepted, its first answer; the same key for
    /// a different request is refused. Nothing for a request without a key, or with a key not used before.
    /// </summary>
    private async Task<(IdempotencyRecord? Recorded, AdmissionAnswer? Answer)> ReplayAsync(DurableTaskClient client, string owner,
        StoreRequestBody body, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is null || await registry.FindIdempotencyKeyAsync(owner, idempotencyKey, ct) is not { } recorded)
        {
            return (null, null);
        }
        return recorded.Request != Fingerprint(body)
            ? (recorded, new AdmissionAnswer.IdempotencyKeyReused())
            : (recorded, await EarlierAnswerAsync(client, owner, recorded.StoreId, ct));
    }

    /// <summary>
    /// The id of the store a POST makes: the id its Idempotency-Key was first recorded for, or a new one (recorded for
    /// the key, when there is one: a request that recorded the key first, however close, wins, and when that was a
    /// different request this one is refused).
    /// </summary>
    private async Task<(string? Id, AdmissionAnswer? Answer)> ReserveIdAsync(DurableTaskClient client, string owner, StoreRequestBody body,
        string? idempotencyKey, IdempotencyRecord? recorded, CancellationToken ct)
    {
        if (recorded is not null)
        {
            return (recorded.StoreId, null);
        }
        if (await NewIdAsync(client, owner, body.Name, ct) is not { } id)
        {
            return (null, new AdmissionAnswer.NoIdAvailable());
        }
        if (idempotencyKey is null)
        {
            return (id, null);
        }
        var fingerprint = Fingerprint(body);
        var first = await registry.RecordIdempotencyKeyAsync(owner, idempotencyKey, new IdempotencyRecord(id, fingerprint), time.GetUtcNow(), ct);
        return first.Request == fingerprint ? (first.StoreId, null) : (null, new AdmissionAnswer.IdempotencyKeyReused());
    }

    /// <summary>What makes two POSTs the same request: every field of the body.</summary>
    private static string Fingerprint(StoreRequestBody body) => JsonSerializer.Serialize(new { body.Name, body.Engine, body.Plan, body.KeepFailed });

    /// <summary>
    /// A new store id, reserved for this owner across all owners. A proposed id that is taken (reserved before, or,
    /// for a store made before ids were reserved, recorded or provisioned) is never used: another is proposed.
    /// Null when every try was taken.
    /// </summary>
    private async Task<string?> NewIdAsync(DurableTaskClient client, string owner, string name, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var id = ids.NewId(name);
            if (await registry.ReserveIdAsync(id, owner, time.GetUtcNow(), ct)
                && await registry.GetAsync(id, ct) is null
                && await client.GetInstanceAsync(Store.ProvisionInstanceId(id, 1), false, ct) is null)
            {
                return id;
            }
            IdTaken(logger, id, attempt);
        }
        return null;
    }

    /// <summary>
    /// The answer a POST with an Idempotency-Key got the first time, when its store was accepted: from its first
    /// provisioning, or from the store's row once that history was purged. Null when nothing was started yet. Only
    /// ever the owner's own store: a store id is reserved for one owner, and anything of another owner is not shown.
    /// </summary>
    private async Task<AdmissionAnswer?> EarlierAnswerAsync(DurableTaskClient client, string owner, string id, CancellationToken ct)
    {
        var first = await client.GetInstanceAsync(Store.ProvisionInstanceId(id, 1), true, ct);
        var store = await registry.GetAsync(id, ct)
            ?? (first?.ReadInputAs<StoreRequest>() is { } input ? StoreLifecycle.Accept(input.Accepted, first.CreatedAt) : null);
        if (store is null)
        {
            return null;
        }
        if (store.Owner != owner)
        {
            IdOfAnotherOwner(logger, id);
            return new AdmissionAnswer.IdempotencyKeyConflict();
        }
        return new AdmissionAnswer.Accepted(store, first?.InstanceId ?? Store.ProvisionInstanceId(id, store.Attempt), Replayed: true);
    }

    [LoggerMessage(4601, LogLevel.Warning, "Store id {StoreId} was proposed again (try {Attempt}): it is taken, so another is proposed")]
    private static partial void IdTaken(ILogger logger, string storeId, int attempt);

    [LoggerMessage(4603, LogLevel.Warning, "Store {StoreId} was accepted but its row could not be written: its provisioning writes it")]
    private static partial void AcceptedRowNotWritten(ILogger logger, string storeId, Exception exception);

    [LoggerMessage(4602, LogLevel.Error, "An Idempotency-Key of one owner stands for store {StoreId}, which is another owner's: nothing of it is answered")]
    private static partial void IdOfAnotherOwner(ILogger logger, string storeId);
}

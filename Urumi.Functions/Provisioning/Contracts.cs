using Microsoft.DurableTask;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Provisioning;

/// <summary>Who asked, from where: kept in the orchestration's input, so the audit trail has it.</summary>
public sealed record Requester(string Key, string Ip);

/// <summary>The timings and limits a provisioning runs with, fixed when it starts (and so in its history).</summary>
public sealed record ProvisioningPolicy(
    TimeSpan Deadline,
    int MaxAttempts,
    TimeSpan FirstRetryInterval,
    TimeSpan MaxRetryInterval,
    TimeSpan PollInterval,
    TimeSpan NamespaceDeletionTimeout,
    TimeSpan ClaimHold = default)
{
    public static ProvisioningPolicy From(ProvisioningSettings s, TimeSpan claimHold = default) =>
        new(s.Deadline, s.MaxAttempts, s.FirstRetryInterval, s.MaxRetryInterval, s.PollInterval, s.NamespaceDeletionTimeout, claimHold);

    /// <summary>
    /// Whether a first provisioning that starts <paramref name="sinceRequest"/> after its POST was started by a
    /// recovery (that POST died after writing it) and so must check that the POST's claims had succeeded.
    /// </summary>
    public bool StartedByRecovery(TimeSpan sinceRequest) => sinceRequest >= ClaimHold / 2;

    /// <summary>
    /// How long a delete waits for the store's provisioning to stop: a provisioning waits for a slot for at most its
    /// deadline, then works for at most its deadline, then cleans up for at most the namespace's deletion timeout. Past
    /// that it is stuck, and the delete goes on.
    /// </summary>
    public TimeSpan StopWait() => Deadline * 2 + NamespaceDeletionTimeout;

    /// <summary>Transient failures are retried with exponential backoff; permanent ones are not.</summary>
    public TaskOptions Retry() => TaskOptions.FromRetryPolicy(new RetryPolicy(MaxAttempts, FirstRetryInterval, 2.0, MaxRetryInterval)
    {
        HandleFailure = f => f.IsCausedBy<TransientStoreException>(),
    });
}

/// <summary>
/// The input of ProvisionStore and DeleteStore. It holds no secret: credentials are made inside the cluster.
/// <paramref name="RequestedAt"/>: when the POST that made it arrived (a first provisioning started long after it was
/// started by a recovery, not by that POST, and checks its claims).
/// </summary>
public sealed record StoreRequest(
    string StoreId,
    string Name,
    string Engine,
    string Plan,
    string Owner,
    string Url,
    int Attempt,
    bool KeepFailed,
    Requester RequestedBy,
    ProvisioningPolicy Policy,
    DateTimeOffset RequestedAt = default)
{
    /// <summary>The store whose cluster objects this request acts on.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public StoreTarget Target => new(StoreId, Owner);

    /// <summary>The event that records the store this request asks for, as it is before provisioning starts.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Stores.StoreEvent.Accepted Accepted => new(StoreId, Owner, Name, Engine, Plan);
}

/// <summary>A store whose cluster objects an activity acts on: its id (the namespace and release) and its owner.</summary>
public sealed record StoreTarget(string StoreId, string Owner);

/// <summary>The "Cancel" event delete sends a provisioning: who asked, and the delete to tell once stopped.</summary>
public sealed record CancelRequest(Requester RequestedBy, string DeleteInstanceId);

/// <summary>An event for the store's row (see <see cref="Stores.StoreLifecycle"/>), sent to ApplyStoreEvent.</summary>
public sealed record StoreChange(string StoreId, string Owner, Stores.StoreEvent Event);

/// <summary>What InstallRelease did.</summary>
public sealed record InstallOutcome(int Revision, string Status, string HelmVersion, bool Unlocked, string? UnlockedFrom);

/// <summary>How a provisioning ended.</summary>
public sealed record ProvisionResult(Stores.ProvisionOutcome Outcome, string? Reason = null, string? Url = null);

/// <summary>How a delete ended.</summary>
public sealed record DeleteResult(Stores.DeleteOutcome Outcome, bool ReleaseRemoved, bool NamespaceRemoved, string? Reason = null);

/// <summary>A failure worth another attempt: the cluster or helm was unreachable, busy or interrupted.</summary>
public sealed class TransientStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A failure that another attempt would repeat; its message is the reason shown on the store.</summary>
public sealed class PermanentStoreException(string message, Exception? inner = null) : Exception(message, inner);

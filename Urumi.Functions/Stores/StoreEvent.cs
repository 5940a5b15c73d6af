using System.Text.Json.Serialization;

namespace Urumi.Functions.Stores;

/// <summary>
/// Something that happened to a store, named by the transition it asks for. <see cref="StoreLifecycle.Apply"/>
/// decides what it does to the store's row; the provisioning events carry their attempt, so an earlier attempt's
/// late write changes nothing.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(Accepted), nameof(Accepted))]
[JsonDerivedType(typeof(Requeued), nameof(Requeued))]
[JsonDerivedType(typeof(StepStarted), nameof(StepStarted))]
[JsonDerivedType(typeof(Ready), nameof(Ready))]
[JsonDerivedType(typeof(Failing), nameof(Failing))]
[JsonDerivedType(typeof(Failed), nameof(Failed))]
[JsonDerivedType(typeof(QueueDeadlinePassed), nameof(QueueDeadlinePassed))]
[JsonDerivedType(typeof(DeleteRequested), nameof(DeleteRequested))]
[JsonDerivedType(typeof(DeleteStep), nameof(DeleteStep))]
[JsonDerivedType(typeof(NamespaceStuck), nameof(NamespaceStuck))]
[JsonDerivedType(typeof(Deleted), nameof(Deleted))]
public abstract record StoreEvent
{
    /// <summary>A POST was admitted: the store, Queued for its first provisioning.</summary>
    public sealed record Accepted(string StoreId, string Owner, string Name, string Engine, string Plan) : StoreEvent;

    /// <summary>A retry: the store waits again for a slot, for provisioning attempt <paramref name="Attempt"/>.</summary>
    public sealed record Requeued(int Attempt) : StoreEvent;

    /// <summary>A provisioning step began (its activity says so as it starts).</summary>
    public sealed record StepStarted(int Attempt, StoreStep Step, int Progress, string Message) : StoreEvent;

    /// <summary>The rollout is ready: the store answers at its URLs.</summary>
    public sealed record Ready(int Attempt, string Url, string AdminUrl, string Summary) : StoreEvent;

    /// <summary>The provisioning failed; its cleanup (or, with keepFailed, not) comes next.</summary>
    public sealed record Failing(int Attempt, string Reason, bool KeepFailed) : StoreEvent;

    /// <summary>The provisioning failed and its cleanup is over (<paramref name="Cleaned"/>: the namespace is gone).</summary>
    public sealed record Failed(int Attempt, string Reason, bool KeepFailed, bool Cleaned) : StoreEvent;

    /// <summary>The store waited a whole provisioning deadline for a slot; nothing was made.</summary>
    public sealed record QueueDeadlinePassed(int Attempt, string Reason) : StoreEvent;

    /// <summary>A DELETE started the store's delete.</summary>
    public sealed record DeleteRequested : StoreEvent;

    /// <summary>A step of the delete began.</summary>
    public sealed record DeleteStep(StoreStep Step, int Progress) : StoreEvent;

    /// <summary>The namespace did not go within the configured time; <paramref name="Reason"/> says why.</summary>
    public sealed record NamespaceStuck(string Reason) : StoreEvent;

    /// <summary>The store is gone from the cluster (<paramref name="UninstallError"/>: helm uninstall failed, the namespace deletion did the rest).</summary>
    public sealed record Deleted(string? UninstallError) : StoreEvent;
}

/// <summary>What an event did to a store: the store as it is now, and, when the event changed nothing, why.</summary>
public sealed record StoreTransition(Store? Store, string? Refusal)
{
    public bool Applied => Refusal is null;

    /// <summary>The row the event was applied to, when the registry read one (null for a first row).</summary>
    public Store? Before { get; init; }
}

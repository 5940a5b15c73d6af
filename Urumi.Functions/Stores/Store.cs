using System.Text.Json.Serialization;

namespace Urumi.Functions.Stores;

[JsonConverter(typeof(NamedEnumConverter<StorePhase>))]
public enum StorePhase
{
    Queued,
    Provisioning,
    Ready,
    Failed,
    Deleting,
    Deleted,
}

/// <summary>A condition in the Kubernetes style: Ready, Released, Reconciling.</summary>
public sealed record StoreCondition(ConditionType Type, ConditionStatus Status, ConditionReason Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>A store as the API shows it (camelCase JSON).</summary>
public sealed record Store
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Engine { get; init; }
    public required string Plan { get; init; }
    public required string Owner { get; init; }
    public StorePhase Phase { get; init; }
    public IReadOnlyList<StoreCondition> Conditions { get; init; } = [];
    public StoreStep? Step { get; init; }
    public int Progress { get; init; }

    /// <summary>While Queued: 1 for the next store to start.</summary>
    public int? QueuePosition { get; init; }
    public string? Url { get; init; }
    public string? AdminUrl { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? LastError { get; init; }

    /// <summary>The namespace and Helm release (both named after the id).</summary>
    public string Namespace => Id;

    /// <summary>The orchestration of the latest provisioning attempt (1, 2, ... after retries).</summary>
    public int Attempt { get; init; }

    /// <summary>True while the cluster still holds the store's namespace (Failed with keepFailed counts).</summary>
    public bool HoldsResources { get; init; }

    public static readonly string[] Engines = ["woocommerce", "medusa"];

    /// <summary>Active stores count against the per-owner limit.</summary>
    [JsonIgnore]
    public bool IsActive => Phase is not (StorePhase.Deleted or StorePhase.Failed) || HoldsResources;

    public static string ProvisionInstanceId(string id, int attempt) => $"{id}.provision.{attempt}";

    public static string DeleteInstanceId(string id, int n) => $"{id}.delete.{n}";

    /// <summary>The store an orchestration instance belongs to (instance ids are {storeId}.{action}...).</summary>
    public static string? IdOfInstance(string instanceId) => instanceId.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot ? instanceId[..dot] : null;
}

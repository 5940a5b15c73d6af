using System.Text.Json.Serialization;

namespace Urumi.Functions.Stores;

/// <summary>
/// A closed set on the wire (API bodies, orchestration inputs and events, table rows): its member's name, and only a
/// name. A number, which System.Text.Json's string converter also reads, even one outside the set, is refused: a
/// payload such as {"op":7} would otherwise be accepted and then mean nothing.
/// </summary>
public sealed class NamedEnumConverter<T>() : JsonStringEnumConverter<T>(namingPolicy: null, allowIntegerValues: false)
    where T : struct, Enum;

/// <summary>Where a store is within its phase (the API's "step"); <see cref="StoreLifecycle"/> says which step follows which.</summary>
[JsonConverter(typeof(NamedEnumConverter<StoreStep>))]
public enum StoreStep
{
    Queued,
    Namespace,
    Install,
    Verify,
    Ready,
    CleaningUp,
    KeepingFailed,
    Failed,
    Stopping,
    Uninstall,
    DeleteNamespace,
    NamespaceStuck,
    Deleted,
}

/// <summary>The conditions a store shows, in the Kubernetes style.</summary>
[JsonConverter(typeof(NamedEnumConverter<ConditionType>))]
public enum ConditionType
{
    Ready,
    Released,
    Reconciling,
}

[JsonConverter(typeof(NamedEnumConverter<ConditionStatus>))]
public enum ConditionStatus
{
    True,
    False,
    Unknown,
}

/// <summary>Why a condition has its status (the steps of a provisioning are reasons of Reconciling).</summary>
[JsonConverter(typeof(NamedEnumConverter<ConditionReason>))]
public enum ConditionReason
{
    Queued,
    Provisioning,
    Namespace,
    Install,
    Verify,
    Provisioned,
    ProvisioningFailed,
    Deleting,
    Deleted,
    NamespaceStuck,
}

/// <summary>How a provisioning ended.</summary>
[JsonConverter(typeof(NamedEnumConverter<ProvisionOutcome>))]
public enum ProvisionOutcome
{
    Ready,
    Failed,
    Stopped,
    Skipped,
}

/// <summary>How a delete ended.</summary>
[JsonConverter(typeof(NamedEnumConverter<DeleteOutcome>))]
public enum DeleteOutcome
{
    Deleted,
    Stuck,
}

using System.Text.Json.Serialization;

namespace Urumi.Functions.Stores;

/// <summary>Where a store is within its phase (the API's "step"); <see cref="StoreLifecycle"/> says which step follows which.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StoreStep>))]
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
[JsonConverter(typeof(JsonStringEnumConverter<ConditionType>))]
public enum ConditionType
{
    Ready,
    Released,
    Reconciling,
}

[JsonConverter(typeof(JsonStringEnumConverter<ConditionStatus>))]
public enum ConditionStatus
{
    True,
    False,
    Unknown,
}

/// <summary>Why a condition has its status (the steps of a provisioning are reasons of Reconciling).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConditionReason>))]
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
[JsonConverter(typeof(JsonStringEnumConverter<ProvisionOutcome>))]
public enum ProvisionOutcome
{
    Ready,
    Failed,
    Stopped,
    Skipped,
}

/// <summary>How a delete ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeleteOutcome>))]
public enum DeleteOutcome
{
    Deleted,
    Stuck,
}

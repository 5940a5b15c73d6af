namespace Urumi.Durable.Client;

/// <summary>A filter over instances for <see cref="DurableTaskClient.GetAllInstancesAsync"/>.</summary>
public sealed record OrchestrationQuery
{
    public DateTimeOffset? CreatedFrom { get; init; }

    public DateTimeOffset? CreatedTo { get; init; }

    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    public string? InstanceIdPrefix { get; init; }

    public int PageSize { get; init; } = 100;

    public bool FetchInputsAndOutputs { get; init; }

    public string? ContinuationToken { get; init; }
}

/// <summary>A filter for <see cref="DurableTaskClient.PurgeAllInstancesAsync"/>.</summary>
public sealed record PurgeInstancesFilter(
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null);

/// <summary>How many instances a purge removed.</summary>
public sealed record PurgeResult(int PurgedInstanceCount);

/// <summary>One page of instances and the token for the next page (null on the last).</summary>
public sealed record Page<T>(IReadOnlyList<T> Values, string? ContinuationToken);

/// <summary>Options for starting an orchestration.</summary>
public sealed record StartOrchestrationOptions(string? InstanceId = null, DateTimeOffset? StartAt = null);

/// <summary>Thrown when an instance id is started while an instance with that id is not terminal.</summary>
public sealed class OrchestrationAlreadyExistsException(string instanceId, OrchestrationRuntimeStatus status)
    : InvalidOperationException($"An orchestration with instance id '{instanceId}' already exists and is {status}.")
{
    public string InstanceId { get; } = instanceId;
}

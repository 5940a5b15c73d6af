using Urumi.Durable.Client;

namespace Urumi.Durable.Storage;

/// <summary>A row of the Instances table: the fast, queryable view of an instance's state.</summary>
public sealed record InstanceRecord
{
    public required string InstanceId { get; init; }

    public required string Name { get; init; }

    public OrchestrationRuntimeStatus RuntimeStatus { get; init; }

    public string? ExecutionId { get; init; }

    public string? Input { get; init; }

    public string? Output { get; init; }

    public string? CustomStatus { get; init; }

    public TaskFailureDetails? FailureDetails { get; init; }

    public DateTime CreatedTime { get; init; }

    public DateTime LastUpdatedTime { get; init; }

    public DateTime? CompletedTime { get; init; }

    public DateTime? ScheduledStartTime { get; init; }

    /// <summary>Backend concurrency token of the row as read.</summary>
    public string? ETag { get; init; }

    public OrchestrationMetadata ToMetadata(bool withPayloads) => new(Name, InstanceId)
    {
        RuntimeStatus = RuntimeStatus,
        CreatedAt = Utc(CreatedTime),
        LastUpdatedAt = Utc(LastUpdatedTime),
        CompletedAt = CompletedTime is { } c ? Utc(c) : null,
        ScheduledStartTime = ScheduledStartTime is { } s ? Utc(s) : null,
        SerializedInput = withPayloads ? Input : null,
        SerializedOutput = withPayloads ? Output : null,
        SerializedCustomStatus = withPayloads ? CustomStatus : null,
        FailureDetails = FailureDetails,
        ExecutionId = ExecutionId,
    };

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

/// <summary>A filter over the Instances table.</summary>
public sealed record InstanceFilter(
    DateTime? CreatedFrom = null,
    DateTime? CreatedTo = null,
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null,
    string? InstanceIdPrefix = null)
{
    public bool Matches(InstanceRecord r) =>
        (CreatedFrom is null || r.CreatedTime >= CreatedFrom)
        && (CreatedTo is null || r.CreatedTime <= CreatedTo)
        && (Statuses is null || Statuses.Count == 0 || Statuses.Contains(r.RuntimeStatus))
        && (InstanceIdPrefix is null || r.InstanceId.StartsWith(InstanceIdPrefix, StringComparison.Ordinal));
}

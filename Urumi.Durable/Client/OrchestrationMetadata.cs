using Urumi.Durable.Serialization;

namespace Urumi.Durable.Client;

/// <summary>What the client knows about one orchestration instance.</summary>
public sealed record OrchestrationMetadata(string Name, string InstanceId)
{
    public OrchestrationRuntimeStatus RuntimeStatus { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset LastUpdatedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? ScheduledStartTime { get; init; }

    public string? SerializedInput { get; init; }

    public string? SerializedOutput { get; init; }

    public string? SerializedCustomStatus { get; init; }

    public TaskFailureDetails? FailureDetails { get; init; }

    public string? ExecutionId { get; init; }

    public bool IsRunning => RuntimeStatus == OrchestrationRuntimeStatus.Running;

    public bool IsCompleted => RuntimeStatus.IsTerminal();

    public T? ReadInputAs<T>() => JsonDataConverter.Default.Deserialize<T>(SerializedInput);

    public T? ReadOutputAs<T>() => JsonDataConverter.Default.Deserialize<T>(SerializedOutput);

    public T? ReadCustomStatusAs<T>() => JsonDataConverter.Default.Deserialize<T>(SerializedCustomStatus);
}

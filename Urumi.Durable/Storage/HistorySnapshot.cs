using Urumi.Durable.History;

namespace Urumi.Durable.Storage;

/// <summary>
/// The current execution's history as read, with the token that guards the next append.
/// <paramref name="NextOrdinal"/> is where the next event goes; <paramref name="ExecutionStartOrdinal"/>
/// where the current execution begins (earlier rows belong to executions replaced by ContinueAsNew or a restart).
/// </summary>
public sealed record HistorySnapshot(IReadOnlyList<HistoryEvent> Events, string? ETag, long ExecutionStartOrdinal, long NextOrdinal)
{
    public static HistorySnapshot Empty { get; } = new([], null, 0, 0);
}

/// <summary>Another worker appended to this history since it was read: the caller no longer owns the instance.</summary>
public sealed class HistoryConflictException(string instanceId)
    : Exception($"The history of instance '{instanceId}' was changed by another worker.");

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

    /// <summary>
    /// Messages steps of this instance send after their append (timers, and messages handed over in memory), not yet
    /// known to have arrived when the last append was written. Kept with the append, in the same transaction, so that a
    /// worker recovering the instance after a crash sends them again; receivers drop what they already have by id.
    /// </summary>
    public IReadOnlyList<TaskMessage> Unsent { get; init; } = [];
}

/// <summary>Another worker appended to this history since it was read: the caller no longer owns the instance.</summary>
public sealed class HistoryConflictException(string instanceId)
    : Exception($"The history of instance '{instanceId}' was changed by another worker.");

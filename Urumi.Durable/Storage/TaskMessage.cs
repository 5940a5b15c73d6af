using Urumi.Durable.History;

namespace Urumi.Durable.Storage;

/// <summary>
/// A message on a control queue (to an orchestration) or the work-item queue (an activity to run).
/// <paramref name="Id"/> is deterministic for messages the engine derives from history, so a message
/// re-sent after a crash is recognised as a duplicate by its receiver.
/// </summary>
public sealed record TaskMessage(string Id, string InstanceId, string? ExecutionId, HistoryEvent Event)
{
    /// <summary>Work items only: the orchestration's name, for logs.</summary>
    public string? OrchestrationName { get; init; }
}

/// <summary>A message as received: the message, how often it was delivered, and the backend's handle.</summary>
public sealed class ReceivedMessage(TaskMessage message, int dequeueCount, object? receipt, string queue)
{
    public TaskMessage Message { get; } = message;

    /// <summary>Deliveries so far, this one included (the queue's DequeueCount).</summary>
    public int DequeueCount { get; } = dequeueCount;

    /// <summary>Backend handle to delete or release the message; null for messages that never left this process.</summary>
    public object? Receipt { get; set; } = receipt;

    public string Queue { get; } = queue;

    /// <summary>Failed processing attempts in this process since it was received.</summary>
    public int LocalFailures { get; set; }

    public int Failures => LocalFailures + Math.Max(0, DequeueCount - 1);

    /// <summary>True once a step that would have recorded only this message's arrival held it back (see EmptyStepWindow).</summary>
    public bool Deferred { get; set; }

    /// <summary>
    /// A message another instance of this worker handed over in memory (no queue copy exists): completed with true
    /// once its receiver recorded or dropped it, false when the receiver let it go (its sender then sends it by queue).
    /// </summary>
    internal TaskCompletionSource<bool>? Settled { get; init; }

    /// <summary>Tells the sender of a handed-over message what became of it; nothing for any other message.</summary>
    internal void Settle(bool delivered) => Settled?.TrySetResult(delivered);
}

/// <summary>A message parked because it failed too often.</summary>
public sealed record PoisonMessage(string Queue, TaskMessage Message, int DequeueCount, string Reason, DateTime ParkedAt);

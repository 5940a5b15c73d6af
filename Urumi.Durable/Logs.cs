using Microsoft.Extensions.Logging;

namespace Urumi.Durable;

/// <summary>The engine's log messages, with stable event ids.</summary>
internal static partial class Logs
{
    [LoggerMessage(1001, LogLevel.Information, "Orchestration {Name} ({InstanceId}) {Status}{Reason}")]
    private static partial void OrchestrationCompletedCore(this ILogger logger, string name, string instanceId, string status, string reason);

    public static void OrchestrationCompleted(this ILogger logger, string name, string instanceId, string status, string? reason) =>
        logger.OrchestrationCompletedCore(name, instanceId, status, reason is null ? "" : ": " + reason);

    [LoggerMessage(1002, LogLevel.Information, "Activity {Name} for {InstanceId} {Outcome} in {ElapsedMs} ms")]
    public static partial void ActivityFinished(this ILogger logger, string name, string instanceId, string outcome, long elapsedMs);

    [LoggerMessage(1003, LogLevel.Warning, "Step of {InstanceId} failed; retrying")]
    public static partial void StepFailed(this ILogger logger, Exception e, string instanceId);

    [LoggerMessage(1004, LogLevel.Warning, "Storage unavailable while processing {InstanceId} (attempt {Attempt}); retrying")]
    public static partial void StepRetrying(this ILogger logger, Exception e, string instanceId, int attempt);

    [LoggerMessage(1005, LogLevel.Warning, "History of {InstanceId} was changed by another worker; dropping this worker's copy")]
    public static partial void HistoryConflict(this ILogger logger, string instanceId);

    [LoggerMessage(1006, LogLevel.Error, "Poison messages for {InstanceId}: {Reason}")]
    public static partial void MessagesPoisoned(this ILogger logger, string instanceId, string reason);

    [LoggerMessage(1007, LogLevel.Information, "Instance {InstanceId}: {Count} activities of a lost worker handed to the work-item queue")]
    public static partial void ActivitiesRedispatched(this ILogger logger, string instanceId, int count);

    [LoggerMessage(1008, LogLevel.Information, "Instance {InstanceId}: Instances row repaired from history ({From} -> {To})")]
    public static partial void InstanceRowRepaired(this ILogger logger, string instanceId, string from, string to);

    [LoggerMessage(1009, LogLevel.Information, "Instance {InstanceId} continued as new execution {ExecutionId}")]
    public static partial void ContinuedAsNew(this ILogger logger, string instanceId, string executionId);

    [LoggerMessage(1010, LogLevel.Warning, "Dropped a {EventType} message for unknown instance {InstanceId}")]
    public static partial void MessageForUnknownInstance(this ILogger logger, string instanceId, string eventType);

    [LoggerMessage(1011, LogLevel.Information, "Worker {WorkerId} acquired partition {Partition}")]
    public static partial void PartitionAcquired(this ILogger logger, string workerId, int partition);

    [LoggerMessage(1012, LogLevel.Information, "Worker {WorkerId} released partition {Partition} ({Why})")]
    public static partial void PartitionReleased(this ILogger logger, string workerId, int partition, string why);

    [LoggerMessage(1013, LogLevel.Warning, "Worker loop {Loop} failed; retrying")]
    public static partial void LoopFailed(this ILogger logger, Exception e, string loop);

    [LoggerMessage(1014, LogLevel.Error, "Work item {MessageId} for {InstanceId} parked as poison: {Reason}")]
    public static partial void WorkItemPoisoned(this ILogger logger, string messageId, string instanceId, string reason);

    [LoggerMessage(1030, LogLevel.Warning, "Instance {InstanceId}: sending {MessageId} after the append failed (attempt {Attempt}); retrying (it stays listed as unsent)")]
    public static partial void UnsentSendRetrying(this ILogger logger, Exception e, string instanceId, string messageId, int attempt);

    [LoggerMessage(1031, LogLevel.Debug, "Instance {InstanceId}: deleting processed messages failed; they come back and are dropped as duplicates")]
    public static partial void MessageDeleteFailed(this ILogger logger, Exception e, string instanceId);
}

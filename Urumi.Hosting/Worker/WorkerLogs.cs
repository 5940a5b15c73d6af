using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Worker;

/// <summary>The self-hosted worker's logs (event ids 1400-1419).</summary>
internal static partial class WorkerLogs
{
    [LoggerMessage(1400, LogLevel.Information, "Durable worker started on task hub '{TaskHub}' (DurableTask.Core): {Orchestrators} orchestrators, {Activities} activities")]
    public static partial void WorkerStarted(ILogger logger, string taskHub, int orchestrators, int activities);

    [LoggerMessage(1401, LogLevel.Information, "Durable worker on task hub '{TaskHub}' stopping: running activities are cancelled and abandoned")]
    public static partial void WorkerStopping(ILogger logger, string taskHub);

    [LoggerMessage(1402, LogLevel.Information, "Durable worker on task hub '{TaskHub}' stopped")]
    public static partial void WorkerStopped(ILogger logger, string taskHub);

    [LoggerMessage(1403, LogLevel.Warning, "Durable worker on task hub '{TaskHub}' recycling: DurableTask.AzureStorage dropped activity message {MessageId} twice as in flight (its completion or abandon failed while storage was down); stopping, then starting over a new orchestration service")]
    public static partial void WorkerRecycling(ILogger logger, string taskHub, string messageId);
}

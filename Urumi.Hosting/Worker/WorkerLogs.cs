using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Worker;

/// <summary>The self-hosted worker's logs (event ids 1400-1419).</summary>
internal static partial class WorkerLogs
{
    [LoggerMessage(1400, LogLevel.Information, "Durable worker '{Worker}' started on DurableTask.Core: {Orchestrators} orchestrators, {Activities} activities")]
    public static partial void WorkerStarted(ILogger logger, string worker, int orchestrators, int activities);

    [LoggerMessage(1401, LogLevel.Information, "Durable worker '{Worker}' stopping: running activities are cancelled and abandoned")]
    public static partial void WorkerStopping(ILogger logger, string worker);

    [LoggerMessage(1402, LogLevel.Information, "Durable worker '{Worker}' stopped")]
    public static partial void WorkerStopped(ILogger logger, string worker);
}

using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Client;

internal static partial class ClientLogs
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Information,
        Message = "Terminating live instance {InstanceId} ({Status}): a start reuses its id")]
    public static partial void TerminatingToReuseId(this ILogger logger, string instanceId, string status);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "Purged {Count} instance(s): {What}")]
    public static partial void Purged(this ILogger logger, int count, string what);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning,
        Message = "Refused to purge instance {InstanceId}: it is {Status}, only terminal instances are purged")]
    public static partial void PurgeRefused(this ILogger logger, string instanceId, string status);
}

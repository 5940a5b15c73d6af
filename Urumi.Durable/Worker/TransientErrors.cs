using System.Net.Sockets;
using Azure;

namespace Urumi.Durable.Worker;

/// <summary>Which storage failures are worth retrying without counting them against a message.</summary>
internal static class TransientErrors
{
    public static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500 || r.InnerException is not null && IsTransient(r.InnerException),
        AggregateException a => a.InnerExceptions.All(IsTransient),
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        OperationCanceledException => true,
        _ => e.InnerException is not null && IsTransient(e.InnerException),
    };

    /// <summary>The wait before retry <paramref name="attempt"/>: 100 ms doubling per attempt, at most <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan max) =>
        TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 20))));
}

using System.Threading.RateLimiting;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Guardrails;

/// <summary>
/// Store creations per client IP: at most Urumi:RateLimit:PermitLimit in a fixed window of
/// Urumi:RateLimit:WindowSeconds that starts at the IP's first permit (System.Threading.RateLimiting's
/// fixed-window limiter, one partition per IP; idle partitions are dropped by the library). The limit is per process.
/// </summary>
/// <remarks>
/// The create function acquires the permit itself, not ASP.NET Core's rate-limiting middleware: only a request that
/// is going to create a store spends one (not a 400, not an Idempotency-Key replay), which middleware running before
/// the function cannot know, and the same code then runs under the Functions host, where the self-host's ASP.NET
/// middleware does not.
/// </remarks>
public static class CreateRateLimit
{
    /// <summary>The DI key of the limiter.</summary>
    public const string Key = "stores.create";

    public static PartitionedRateLimiter<string> For(RateLimitSettings settings) =>
        PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.PermitLimit,
            Window = TimeSpan.FromSeconds(settings.WindowSeconds),
            QueueLimit = 0,
        }));

    /// <summary>How long until the refused IP's window ends, as the lease says (the whole window: an upper bound).</summary>
    public static TimeSpan RetryAfter(RateLimitLease refused) =>
        refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.Zero;
}

using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Guardrails;

/// <summary>
/// POST /api/stores per client IP: at most Urumi:RateLimit:PermitLimit requests in a fixed window of
/// Urumi:RateLimit:WindowSeconds that starts at the IP's first request (express-rate-limit's behaviour).
/// </summary>
public sealed class CreateRateLimiter(IOptions<UrumiOptions> options, TimeProvider time)
{
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);

    /// <summary>Null when the request may go on; otherwise how long until the IP's window ends.</summary>
    public TimeSpan? TryAcquire(string ip)
    {
        var now = time.GetUtcNow();
        var window = TimeSpan.FromSeconds(options.Value.RateLimit.WindowSeconds);
        lock (_windows)
        {
            if (_windows.Count > 10_000)
            {
                foreach (var expired in _windows.Where(w => now - w.Value.Start >= window).Select(w => w.Key).ToList())
                {
                    _windows.Remove(expired);
                }
            }
            if (!_windows.TryGetValue(ip, out var current) || now - current.Start >= window)
            {
                current = (now, 0);
            }
            if (current.Count >= options.Value.RateLimit.PermitLimit)
            {
                return window - (now - current.Start);
            }
            _windows[ip] = (current.Start, current.Count + 1);
            return null;
        }
    }
}

using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Tests.Provisioning;

public sealed class GuardrailUnitTests
{
    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void The_rate_limit_counts_per_IP_and_says_when_the_window_ends()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var limiter = new CreateRateLimiter(Options.Create(new UrumiOptions { RateLimit = new RateLimitSettings { PermitLimit = 2, WindowSeconds = 900 } }), time);

        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        time.Now += TimeSpan.FromMinutes(5);
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
        Assert.Equal(TimeSpan.FromMinutes(10), limiter.TryAcquire("10.0.0.1"));
        Assert.Null(limiter.TryAcquire("10.0.0.2"));
        time.Now += TimeSpan.FromMinutes(10);
        Assert.Null(limiter.TryAcquire("10.0.0.1"));
    }

    [Fact]
    public void Settings_that_cannot_work_stop_the_start_naming_each_one()
    {
        var options = new UrumiOptions
        {
            Environment = "staging",
            StoreDomain = "Not A Domain",
            MedusaImage = "medusa:latest",
            Provisioning = new ProvisioningSettings { MaxConcurrent = 0, Deadline = TimeSpan.FromMinutes(1) },
            Plans = new(StringComparer.OrdinalIgnoreCase) { ["huge"] = new() { ["pods"] = "many" } },
            TrustedProxies = "10.0.0.0/8, ingress.local",
        };

        var result = new UrumiOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "Urumi:Environment", "Urumi:StoreDomain", "Urumi:MedusaImage", "Urumi:Provisioning:MaxConcurrent", "Urumi:Provisioning:Deadline", "Urumi:Plans:huge", "'many'", "Urumi:TrustedProxies", "'ingress.local'" })
        {
            Assert.Contains(name, result.FailureMessage);
        }
        Assert.True(new UrumiOptionsValidator().Validate(null, new UrumiOptions()).Succeeded);
    }

    [Theory]
    // No trusted proxy: the header is the client's word and is ignored.
    [InlineData("", "203.0.113.9", "198.51.100.1", "203.0.113.9")]
    // The ingress (trusted) appends the address it saw: that one is the client, whatever the client put before it.
    [InlineData("10.0.0.0/8", "10.1.2.3", "1.1.1.1, 198.51.100.1", "198.51.100.1")]
    // Two trusted hops (a load balancer, then the ingress).
    [InlineData("10.0.0.0/8, 192.168.0.5", "10.1.2.3", "198.51.100.1, 192.168.0.5", "198.51.100.1")]
    // A peer that is not trusted cannot pass an address on.
    [InlineData("10.0.0.0/8", "203.0.113.9", "198.51.100.1", "203.0.113.9")]
    // Every hop trusted, or garbage: the last address that could be trusted.
    [InlineData("10.0.0.0/8", "10.1.2.3", "10.9.9.9", "10.9.9.9")]
    [InlineData("10.0.0.0/8", "10.1.2.3", "198.51.100.1, not-an-ip", "10.1.2.3")]
    [InlineData("127.0.0.1", "::ffff:127.0.0.1", "2001:db8::7", "2001:db8::7")]
    public void The_client_address_is_read_from_X_Forwarded_For_only_through_trusted_proxies(string trusted, string peer, string forwardedFor, string client) =>
        Assert.Equal(client, ClientAddress.Resolve(System.Net.IPAddress.Parse(peer), [forwardedFor], ClientAddress.Parse(trusted)));
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Tests.Provisioning;

public sealed class GuardrailUnitTests
{
    [Fact]
    public void The_rate_limit_counts_per_IP_and_says_when_the_window_ends()
    {
        using var limiter = CreateRateLimit.For(new RateLimitSettings { PermitLimit = 2, WindowSeconds = 900 });

        using var first = limiter.AttemptAcquire("10.0.0.1");
        using var second = limiter.AttemptAcquire("10.0.0.1");
        using var third = limiter.AttemptAcquire("10.0.0.1");
        using var otherIp = limiter.AttemptAcquire("10.0.0.2");

        Assert.True(first.IsAcquired);
        Assert.True(second.IsAcquired);
        Assert.False(third.IsAcquired);
        Assert.Equal(TimeSpan.FromMinutes(15), CreateRateLimit.RetryAfter(third));
        Assert.True(otherIp.IsAcquired);
    }

    [Fact]
    public async Task An_IP_that_reached_the_rate_limit_gets_permits_again_when_its_window_ends()
    {
        using var limiter = CreateRateLimit.For(new RateLimitSettings { PermitLimit = 1, WindowSeconds = 1 });
        using var first = limiter.AttemptAcquire("10.0.0.1");
        using var refused = limiter.AttemptAcquire("10.0.0.1");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var acquired = false;
        while (!acquired && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            using var lease = limiter.AttemptAcquire("10.0.0.1");
            acquired = lease.IsAcquired;
        }

        Assert.True(first.IsAcquired);
        Assert.False(refused.IsAcquired);
        Assert.True(acquired, "no permit within 10 s of a 1 s window");
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

        var result = Validate(options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "Urumi:Environment", "Urumi:StoreDomain", "Urumi:MedusaImage", "Urumi:Provisioning:MaxConcurrent", "Urumi:Provisioning:Deadline", "Urumi:Plans:huge", "'many'", "Urumi:TrustedProxies", "'ingress.local'" })
        {
            Assert.Contains(name, result.FailureMessage);
        }
        Assert.True(Validate(new UrumiOptions()).Succeeded);
    }

    [Fact]
    public void A_bad_nested_setting_gets_one_message_naming_its_full_key()
    {
        var options = new UrumiOptions { RateLimit = new RateLimitSettings { PermitLimit = 0 }, Helm = new HelmSettings { LeaseDuration = TimeSpan.Zero } };

        var failures = Validate(options).Failures!.ToList();

        Assert.Equal(2, failures.Count);
        Assert.Single(failures, f => f.Contains("Urumi:RateLimit:PermitLimit must be at least 1.", StringComparison.Ordinal));
        Assert.Single(failures, f => f.Contains("Urumi:Helm:LeaseDuration must be at least 1 second.", StringComparison.Ordinal));
    }

    /// <summary>Every validator of the Urumi settings that the app registers, together.</summary>
    private static ValidateOptionsResult Validate(UrumiOptions options)
    {
        using var services = new ServiceCollection().AddUrumiOptions(new ConfigurationBuilder().Build()).BuildServiceProvider();
        var failures = services.GetServices<IValidateOptions<UrumiOptions>>()
            .Select(v => v.Validate(Options.DefaultName, options)).Where(r => r.Failed).SelectMany(r => r.Failures!).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
    public void The_client_address_is_read_from_X_Forwarded_For_only_through_trusted_proxies(string trusted, string peer, string forwardedFor, string client)
    {
        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        request.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(peer);
        request.Request.Headers["X-Forwarded-For"] = forwardedFor;

        var address = new ClientAddress(Options.Create(new UrumiOptions { TrustedProxies = trusted })).Of(request);

        Assert.Equal(client, address);
    }
}

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
    public void The_gate_admits_in_arrival_order_up_to_its_capacity_and_a_release_frees_a_slot()
    {
        var state = new GateState(2, [], []);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            state = ProvisioningGate.Apply(state, new GateSignal(GateSignal.Acquire, id));
        }
        Assert.Equal(["a", "b"], ProvisioningGate.Admit(state));
        Assert.Equal(["c", "d"], state.Waiting);

        state = ProvisioningGate.Apply(state, new GateSignal(GateSignal.Acquire, "a"));
        state = ProvisioningGate.Apply(state, new GateSignal(GateSignal.Release, "d"));
        Assert.Empty(ProvisioningGate.Admit(state));
        state = ProvisioningGate.Apply(state, new GateSignal(GateSignal.Release, "a"));
        Assert.Equal(["c"], ProvisioningGate.Admit(state));
        state = ProvisioningGate.Apply(state, new GateSignal(GateSignal.Configure, Capacity: 1));
        Assert.Equal(1, state.Capacity);
        Assert.Equal(["b", "c"], state.Holders);
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
        };

        var result = new UrumiOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "Urumi:Environment", "Urumi:StoreDomain", "Urumi:MedusaImage", "Urumi:Provisioning:MaxConcurrent", "Urumi:Provisioning:Deadline", "Urumi:Plans:huge", "'many'" })
        {
            Assert.Contains(name, result.FailureMessage);
        }
        Assert.True(new UrumiOptionsValidator().Validate(null, new UrumiOptions()).Succeeded);
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using k8s;
using k8s.Models;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Urumi.Functions.Helm;
using Urumi.Hosting.Telemetry;
using Urumi.KubeSim.Testing;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>helm runs, in this process, seen through OpenTelemetry's in-memory exporter and a MeterListener.</summary>
public sealed class HelmSpanTests
{
    private const string SetValue = "s3cret-set-value-0123456789abcdef";

    [Fact]
    public async Task A_helm_run_is_a_span_with_its_command_release_chart_and_exit_code_and_none_of_its_set_values()
    {
        // Arrange
        await using var sim = await Sim.StartAsync();
        await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "traced-1" } });
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(UrumiTelemetry.Name).AddInMemoryExporter(spans).Build();
        using var metrics = new Recorded();

        // Act
        await Helm(sim).UpgradeInstallAsync(Install("traced-1"), new HelmVersion("v3.17.3", 3));

        // Assert
        var span = Assert.Single(spans, s => (string?)s.GetTagItem("helm.release") == "traced-1");
        Assert.Equal("helm upgrade", span.DisplayName);
        Assert.Equal("upgrade", span.GetTagItem("helm.command"));
        Assert.Equal("woocommerce", span.GetTagItem("helm.chart"));
        Assert.Equal("traced-1", span.GetTagItem("helm.namespace"));
        Assert.Equal(0, span.GetTagItem("process.exit.code"));
        Assert.True(span.Duration > TimeSpan.Zero);
        AssertNoSetValue(span);
        Assert.Contains(metrics.Values, m => m.Instrument == "urumi.helm.duration" && m.Tags["command"] == "upgrade" && m.Tags["outcome"] == "succeeded");
    }

    [Fact]
    public async Task A_failed_helm_run_is_an_error_span_counted_by_reason_with_neither_its_set_values_nor_its_output()
    {
        // Arrange: the namespace does not exist, so helm fails.
        await using var sim = await Sim.StartAsync();
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(UrumiTelemetry.Name).AddInMemoryExporter(spans).Build();
        using var metrics = new Recorded();

        // Act
        var failure = await Assert.ThrowsAsync<HelmCommandException>(() => Helm(sim).UpgradeInstallAsync(Install("traced-2"), new HelmVersion("v3.17.3", 3)));

        // Assert
        var span = Assert.Single(spans, s => (string?)s.GetTagItem("helm.release") == "traced-2");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(failure.ExitCode, span.GetTagItem("process.exit.code"));
        var reason = Assert.IsType<string>(span.GetTagItem("helm.failure_reason"));
        Assert.True(Enum.IsDefined(Enum.Parse<HelmFailureReason>(reason)));
        Assert.Equal(reason, span.StatusDescription);
        Assert.DoesNotContain(SetValue, failure.Message);
        AssertNoSetValue(span);
        Assert.Contains(metrics.Values, m => m.Instrument == "urumi.helm.failures" && m.Tags["command"] == "upgrade" && m.Tags["reason"] == reason);
    }

    [Theory]
    [InlineData(137, "", HelmFailureReason.Interrupted)]
    [InlineData(1, "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress", HelmFailureReason.Locked)]
    [InlineData(1, "Error: context deadline exceeded", HelmFailureReason.Timeout)]
    [InlineData(1, "Error: Kubernetes cluster unreachable: dial tcp: connection refused", HelmFailureReason.ClusterUnreachable)]
    [InlineData(1, "Error: uninstall: Release not loaded: x: release: not found", HelmFailureReason.ReleaseNotFound)]
    [InlineData(1, "Error: pods \"x\" is forbidden: exceeded quota: store-quota", HelmFailureReason.Rejected)]
    [InlineData(1, "Error: something else", HelmFailureReason.Other)]
    public void A_helm_failure_reason_is_read_from_its_exit_and_output(int exitCode, string standardError, HelmFailureReason expected) =>
        Assert.Equal(expected, HelmFailureReasons.Of(exitCode, standardError));

    private static void AssertNoSetValue(Activity span)
    {
        foreach (var (key, value) in span.TagObjects)
        {
            var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            Assert.DoesNotContain(SetValue, text, StringComparison.Ordinal);
            Assert.DoesNotContain("--set", text, StringComparison.Ordinal);
            Assert.DoesNotContain(SetValue, key, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(SetValue, span.DisplayName, StringComparison.Ordinal);
        Assert.DoesNotContain(SetValue, span.StatusDescription ?? "", StringComparison.Ordinal);
        Assert.All(span.Events, e => Assert.DoesNotContain(SetValue, e.Name + string.Join(",", e.Tags.Select(t => t.Value)), StringComparison.Ordinal));
    }

    private static HelmCli Helm(Sim sim) =>
        new(Repo.Tool("helm3"), sim.ToolEnvironment().ToDictionary(kv => kv.Key, kv => (string?)kv.Value));

    private static HelmInstall Install(string release) => new(
        release,
        release,
        Path.Combine(Repo.Root, "charts", "woocommerce"),
        [Path.Combine(Repo.Root, "charts", "woocommerce", "values-local.yaml")],
        new Dictionary<string, string> { ["ingress.host"] = $"{release}.localtest.me", ["store.title"] = SetValue },
        TimeSpan.FromSeconds(30));

    /// <summary>The measurements of the Urumi Meter's instruments while it lives.</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, Dictionary<string, string?> Tags)> _values = [];

        public Recorded()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == UrumiTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Add(i, tags));
            _listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Add(i, tags));
            _listener.Start();
        }

        public List<(string Instrument, Dictionary<string, string?> Tags)> Values
        {
            get
            {
                lock (_values)
                {
                    return [.. _values];
                }
            }
        }

        private void Add(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString();
            }
            lock (_values)
            {
                _values.Add((instrument.Name, copy));
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

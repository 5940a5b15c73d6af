using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Urumi.Functions.Telemetry;
using Urumi.Hosting.Telemetry;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public void Every_panel_of_the_Grafana_dashboard_charts_a_metric_of_the_Urumi_meter_and_every_metric_has_a_panel()
    {
        // Arrange: the names the Prometheus exporter gives the Meter's instruments.
        var families = UrumiInstruments().Select(PrometheusFamily).ToHashSet();
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "eng", "grafana", "urumi-control-plane.json")))!;

        // Act
        var charted = dashboard["panels"]!.AsArray().ToDictionary(
            p => (string)p!["title"]!,
            p => p!["targets"]!.AsArray().SelectMany(t => MetricName().Matches((string)t!["expr"]!)).Select(m => Family(m.Value)).ToList());

        // Assert
        Assert.NotEmpty(families);
        Assert.All(charted, panel =>
        {
            Assert.NotEmpty(panel.Value);
            Assert.All(panel.Value, name => Assert.True(families.Contains(name), $"panel '{panel.Key}' charts {name}, which the Urumi meter does not have ({string.Join(", ", families)})"));
        });
        Assert.All(families, family => Assert.True(charted.Values.Any(names => names.Contains(family)), $"no panel charts {family}"));
    }

    private static List<Instrument> UrumiInstruments()
    {
        RuntimeHelpers.RunClassConstructor(typeof(UrumiMetrics).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(StorageLatencyPolicy).TypeHandle);
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == UrumiTelemetry.Name)
                {
                    instruments.Add(instrument);
                }
            },
        };
        listener.Start();
        return instruments;
    }

    /// <summary>OpenTelemetry's Prometheus naming: dots to underscores, the unit "s" as _seconds, counters' _total.</summary>
    private static string PrometheusFamily(Instrument instrument) =>
        instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "") + (instrument is Counter<long> ? "_total" : "");

    private static string Family(string sample) => HistogramSuffix().Replace(sample, "");

    [GeneratedRegex(@"\burumi_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>One scrape of /metrics (Prometheus text format): the samples by name and labels.</summary>
public sealed partial class PrometheusScrape(string text)
{
    public string Text { get; } = text;

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        Samples().Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);

    public bool Has(string name) => Samples().Any(s => s.Name == name);

    /// <summary>The Urumi samples only (what a failed wait shows).</summary>
    public override string ToString() => string.Join('\n', Text.Split('\n').Where(l => l.StartsWith("urumi_", StringComparison.Ordinal)));

    private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Samples()
    {
        foreach (var line in Text.Split('\n'))
        {
            var match = SampleLine().Match(line.Trim());
            if (!match.Success)
            {
                continue;
            }
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            yield return (match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[-+0-9.eE]+|NaN|\+Inf|-Inf)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}

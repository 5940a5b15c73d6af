using Urumi.Charts.Tests.Support;

namespace Urumi.Charts.Tests;

public sealed class LintTests
{
    public static TheoryData<string, string, string> Cases => ChartCatalog.EveryHelmChartAndEnvironment();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_chart_passes_strict_lint_with_each_values_file(string helm, string chart, string environment)
    {
        var result = await ChartCatalog.HelmAsync(helm, "lint", "--strict", ChartCatalog.Path(chart), "-f", ChartCatalog.ValuesFile(chart, environment));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", result.Stdout);
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task The_control_plane_chart_passes_strict_lint_with_its_defaults(string helm)
    {
        var result = await ChartCatalog.HelmAsync(helm, "lint", "--strict", ChartCatalog.Path(ChartCatalog.ControlPlane));

        Assert.True(result.ExitCode == 0, result.ToString());
    }
}

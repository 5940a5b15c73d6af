using Urumi.Testing;

namespace Urumi.Charts.Tests.Support;

/// <summary>The charts under charts/, their values files, and helm run without a cluster.</summary>
public static class ChartCatalog
{
    public const string WooCommerce = "woocommerce";
    public const string Medusa = "medusa";
    public const string ControlPlane = "urumi";

    public static readonly string[] Stores = [WooCommerce, Medusa];
    public static readonly string[] All = [WooCommerce, Medusa, ControlPlane];
    public static readonly string[] Helms = ["helm3", "helm4"];
    public static readonly string[] Environments = ["local", "prod"];

    public static string Path(string chart) => System.IO.Path.Combine(Repo.Root, "charts", chart);

    public static string ValuesFile(string chart, string environment) => System.IO.Path.Combine(Path(chart), $"values-{environment}.yaml");

    /// <summary>Every pair of one value from each list, for theories.</summary>
    public static TheoryData<string, string> Pairs(IEnumerable<string> first, IEnumerable<string> second)
    {
        var data = new TheoryData<string, string>();
        foreach (var a in first)
        {
            foreach (var b in second)
            {
                data.Add(a, b);
            }
        }
        return data;
    }

    /// <summary>Every (helm, chart, environment) combination, for theories.</summary>
    public static TheoryData<string, string, string> EveryHelmChartAndEnvironment()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var helm in Helms)
        {
            foreach (var chart in All)
            {
                foreach (var environment in Environments)
                {
                    data.Add(helm, chart, environment);
                }
            }
        }
        return data;
    }

    /// <summary>Runs helm3 or helm4 with a fresh HOME and no kubeconfig: lint and template need no cluster.</summary>
    public static Task<CommandResult> HelmAsync(string helm, params string[] arguments)
    {
        var home = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "urumi-chart-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        return CommandLine.RunAsync(Repo.Tool(helm), arguments, new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["KUBECONFIG"] = System.IO.Path.Combine(home, "no-cluster"),
            ["HELM_CACHE_HOME"] = System.IO.Path.Combine(home, "cache"),
            ["HELM_CONFIG_HOME"] = System.IO.Path.Combine(home, "config"),
            ["HELM_DATA_HOME"] = System.IO.Path.Combine(home, "data"),
        }, workingDirectory: home, timeout: TimeSpan.FromMinutes(1));
    }

    /// <summary>`helm template` of a chart as release "store-1" in namespace "store-1" with the given values files.</summary>
    public static async Task<string> TemplateAsync(string helm, string chart, params string[] valuesFiles)
    {
        var arguments = new List<string> { "template", "store-1", Path(chart), "--namespace", "store-1" };
        foreach (var file in valuesFiles)
        {
            arguments.Add("-f");
            arguments.Add(file);
        }
        return (await HelmAsync(helm, [.. arguments])).EnsureSuccess().Stdout;
    }
}

using k8s;
using k8s.Models;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Support;

/// <summary>`helm template` of a chart under charts/, parsed into KubernetesClient's typed objects.</summary>
public static class ChartTemplate
{
    public static string Chart(string name) => Path.Combine(Repo.Root, "charts", name);

    /// <summary>Renders <paramref name="chart"/> as release <paramref name="release"/> with the values files and --set-string values given.</summary>
    public static async Task<IReadOnlyList<IKubernetesObject<V1ObjectMeta>>> RenderAsync(
        string chart, string release, IEnumerable<string> valuesFiles, IReadOnlyDictionary<string, string>? values = null, string helm = "helm3")
    {
        var home = Path.Combine(Path.GetTempPath(), "urumi-template", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        var arguments = new List<string> { "template", release, Chart(chart), "--namespace", release };
        foreach (var file in valuesFiles)
        {
            arguments.AddRange(["-f", file]);
        }
        foreach (var (key, value) in values ?? new Dictionary<string, string>())
        {
            arguments.AddRange(["--set-string", $"{key}={value}"]);
        }
        try
        {
            var result = (await CommandLine.RunAsync(Repo.Tool(helm), arguments, new Dictionary<string, string>
            {
                ["HOME"] = home,
                ["KUBECONFIG"] = Path.Combine(home, "no-cluster"),
                ["HELM_CACHE_HOME"] = Path.Combine(home, "cache"),
                ["HELM_CONFIG_HOME"] = Path.Combine(home, "config"),
                ["HELM_DATA_HOME"] = Path.Combine(home, "data"),
            }, workingDirectory: home, timeout: TimeSpan.FromMinutes(1))).EnsureSuccess();
            return KubernetesYaml.LoadAllFromString(result.Stdout, KubeSim.Testing.CustomResources.TypeMap)
                .Select(o => o as IKubernetesObject<V1ObjectMeta> ?? throw new InvalidOperationException($"not a Kubernetes object: {o?.GetType()}"))
                .ToList();
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}

using System.Net;
using k8s.Models;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Testing;

namespace Urumi.Functions.Tests.Hosting;

[Collection(ControlPlaneCollection.Name)]
public sealed class ChartSettingsTests(AzuriteFixture fixture)
{
    /// <summary>
    /// Each values file of charts/urumi alone, and schema-valid overrides of the settings it renders into the
    /// control plane's environment (durations in every form the schema admits).
    /// </summary>
    public static TheoryData<string, string> ValuesAndOverrides() => new()
    {
        { "values.yaml", "" },
        { "values-local.yaml", "" },
        { "values-prod.yaml", "" },
        { "values-prod.yaml", "urumi.helmTimeout=90s" },
        { "values-prod.yaml", "urumi.helmTimeout=1h30m" },
        { "values-prod.yaml", "urumi.helmTimeout=2h" },
        { "values-local.yaml", "urumi.environment=prod,urumi.storeDomain=shops.example.org" },
    };

    [Theory]
    [MemberData(nameof(ValuesAndOverrides))]
    public async Task The_control_plane_starts_healthy_with_the_environment_its_chart_renders(string valuesFile, string overrides)
    {
        var values = overrides.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var files = valuesFile == "values.yaml" ? [] : new[] { Path.Combine(ChartTemplate.Chart("urumi"), valuesFile) };
        var rendered = await ChartTemplate.RenderAsync("urumi", "urumi", files, values);
        var container = Assert.Single(Assert.Single(rendered.OfType<V1Deployment>()).Spec.Template.Spec.Containers);
        await using var sim = await Sim.StartAsync();

        var environment = Environment(container, fixture.Azurite.ConnectionString, sim.KubeconfigPath);
        await using var app = await FunctionApp.StartAsync(fixture.Azurite.ConnectionString, "chart" + Guid.NewGuid().ToString("N")[..10],
            environment, Repo.FunctionsDll);
        var health = await Eventually.Until(
            async () => app.HasExited ? null : await app.Http.GetAsync("/api/health"),
            r => r is null || r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "/api/health to answer 200");

        Assert.True(health?.StatusCode == HttpStatusCode.OK,
            $"with {valuesFile} {overrides} the control plane answered {health?.StatusCode.ToString() ?? "nothing (it exited)"}:\n{ControlPlane.Tail(app.Output)}");
    }

    /// <summary>
    /// The container's env exactly as rendered, except what only a cluster provides: the storage Secret's connection
    /// string (Azurite's here) and the in-cluster API server (a KubeSim through its kubeconfig).
    /// </summary>
    private static Dictionary<string, string> Environment(V1Container container, string storage, string kubeconfig)
    {
        var environment = new Dictionary<string, string>();
        foreach (var variable in container.Env)
        {
            environment[variable.Name] = variable.ValueFrom?.SecretKeyRef is not null
                ? variable.Name == "AzureWebJobsStorage" ? storage : throw new InvalidOperationException($"{variable.Name} comes from a Secret this test does not know")
                : variable.Value;
        }
        Assert.Equal("InCluster", environment["Urumi__Cluster__Mode"]);
        environment["Urumi__Cluster__Mode"] = "Kubeconfig";
        environment["Urumi__Cluster__Kubeconfig"] = kubeconfig;
        return environment;
    }
}

using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.Functions.Provisioning;

namespace Urumi.Functions.Helm;

/// <summary>Where each engine's chart and values files are: Urumi:Charts:Path, else charts/ next to the app or in the repository.</summary>
public sealed class StoreCharts(IOptions<UrumiOptions> options)
{
    public string Root { get; } = options.Value.Charts.Path
        ?? Locate.Upwards("charts", dir => File.Exists(Path.Combine(dir, "woocommerce", "Chart.yaml")))
        ?? throw new InvalidOperationException("No store charts found: set Urumi:Charts:Path to the folder holding woocommerce/ and medusa/.");

    public string ChartPath(string engine) => Path.Combine(Root, engine);

    /// <summary>values-local.yaml or values-prod.yaml of the engine's chart.</summary>
    public string ValuesFile(string engine, string environment) => Path.Combine(Root, engine, $"values-{environment}.yaml");

    /// <summary>The install of a store: its engine's chart with the environment's values file, its host, Secret and image.</summary>
    public HelmInstall Install(string storeId, string engine, string host, TimeSpan timeout)
    {
        var o = options.Value;
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ingress.host"] = host,
            ["existingSecret"] = StoreResources.SecretName(storeId),
        };
        if (engine == "medusa")
        {
            var colon = o.MedusaImage.LastIndexOf(':');
            values["image.repository"] = o.MedusaImage[..colon];
            values["image.tag"] = o.MedusaImage[(colon + 1)..];
        }
        return new HelmInstall(storeId, storeId, ChartPath(engine), [ValuesFile(engine, o.Environment)], values, timeout);
    }
}

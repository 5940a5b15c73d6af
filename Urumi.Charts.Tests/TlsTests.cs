using k8s.Models;
using Urumi.Charts.Tests.Support;
using Urumi.KubeSim.Testing;

namespace Urumi.Charts.Tests;

/// <summary>
/// TLS at fleet scale: in production one wildcard certificate, ordered once by the control plane's chart, serves
/// every store, so creating or retrying stores orders nothing from the CA.
/// </summary>
public sealed class TlsTests
{
    public static TheoryData<string, string> EveryHelmAndStoreChart() => ChartCatalog.Pairs(ChartCatalog.Helms, ChartCatalog.Stores);

    [Theory]
    [MemberData(nameof(EveryHelmAndStoreChart))]
    public async Task A_production_store_orders_no_certificate_and_is_covered_by_the_control_planes_wildcard(string helm, string chart)
    {
        var controlPlane = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, ChartCatalog.ControlPlane, ChartCatalog.ValuesFile(ChartCatalog.ControlPlane, "prod")));
        var storeDomain = Assert.Single(controlPlane.OfType<V1Deployment>()).Spec.Template.Spec.Containers.Single().Env
            .Single(e => e.Name == "Urumi__StoreDomain").Value;
        // The control plane installs each store with the host {store id}.{StoreDomain}.
        var host = $"shop-0123456789abcdef.{storeDomain}";
        var store = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, chart, ChartCatalog.ValuesFile(chart, "prod"), Override($"ingress: {{host: \"{host}\"}}")));

        var certificate = Assert.Single(controlPlane.OfType<CertManagerCertificate>());
        var ingress = Assert.Single(store.OfType<V1Ingress>());
        var tls = Assert.Single(ingress.Spec.Tls);
        Assert.Equal([$"*.{storeDomain}"], certificate.Spec.DnsNames);
        Assert.False(string.IsNullOrEmpty(certificate.Spec.IssuerRef.Name));
        Assert.Equal([host], tls.Hosts);
        Assert.True(Covers(certificate.Spec.DnsNames.Single(), host), $"{certificate.Spec.DnsNames.Single()} does not cover {host}");
        Assert.Null(tls.SecretName);
        Assert.DoesNotContain(store.Objects.SelectMany(o => o.Metadata.Annotations ?? new Dictionary<string, string>()), a => a.Key.StartsWith("cert-manager.io/", StringComparison.Ordinal));
        Assert.Empty(store.OfType<CertManagerCertificate>());
    }

    [Theory]
    [MemberData(nameof(EveryHelmAndStoreChart))]
    public async Task A_store_can_still_order_its_own_certificate(string helm, string chart)
    {
        var store = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, chart, ChartCatalog.ValuesFile(chart, "prod"),
            Override("ingress: {tls: {certificate: perStore, clusterIssuer: letsencrypt-prod}}")));

        var ingress = Assert.Single(store.OfType<V1Ingress>());

        Assert.Equal("letsencrypt-prod", ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
        Assert.Equal("store-1-tls", Assert.Single(ingress.Spec.Tls).SecretName);
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task The_control_plane_orders_the_wildcard_only_when_asked(string helm)
    {
        var local = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, ChartCatalog.ControlPlane, ChartCatalog.ValuesFile(ChartCatalog.ControlPlane, "local")));

        Assert.Empty(local.OfType<CertManagerCertificate>());
    }

    /// <summary>A wildcard covers exactly one label in its place (RFC 6125): *.a.b covers x.a.b, not y.x.a.b.</summary>
    private static bool Covers(string wildcard, string host) =>
        wildcard.StartsWith("*.", StringComparison.Ordinal) && host.EndsWith(wildcard[1..], StringComparison.Ordinal)
        && !host[..^(wildcard.Length - 1)].Contains('.', StringComparison.Ordinal);

    /// <summary>A values file in the temp folder with the given YAML (JSON-style YAML is enough).</summary>
    private static string Override(string yaml)
    {
        var file = Path.Combine(Path.GetTempPath(), $"urumi-tls-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }
}

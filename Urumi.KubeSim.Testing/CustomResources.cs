using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Urumi.KubeSim.Testing;

/// <summary>A cert-manager Certificate (cert-manager.io/v1), enough of it for tests to read rendered charts.</summary>
public sealed class CertManagerCertificate : IKubernetesObject<V1ObjectMeta>
{
    public const string KubeApiVersion = "v1";
    public const string KubeGroup = "cert-manager.io";
    public const string KubeKind = "Certificate";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{KubeGroup}/{KubeApiVersion}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KubeKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public CertificateSpec Spec { get; set; } = new();

    public sealed class CertificateSpec
    {
        [JsonPropertyName("secretName")]
        public string? SecretName { get; set; }

        [JsonPropertyName("dnsNames")]
        public IList<string> DnsNames { get; set; } = [];

        [JsonPropertyName("issuerRef")]
        public IssuerReference IssuerRef { get; set; } = new();
    }

    public sealed class IssuerReference
    {
        [JsonPropertyName("group")]
        public string? Group { get; set; }

        [JsonPropertyName("kind")]
        public string? Kind { get; set; }

        [JsonPropertyName("name")]
        public string? Name { get; set; }
    }
}

/// <summary>The custom resources the charts render, for KubernetesYaml.LoadAllFromString next to the built-in kinds.</summary>
public static class CustomResources
{
    public static readonly IDictionary<string, Type> TypeMap = new Dictionary<string, Type>
    {
        ["cert-manager.io/v1/Certificate"] = typeof(CertManagerCertificate),
    };
}

using System.Net;
using k8s;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>A fact that runs only when URUMI_TEST_KUBECONFIG names a real cluster's kubeconfig; reported skipped otherwise.</summary>
public sealed class RealClusterFactAttribute : FactAttribute
{
    public static string? Kubeconfig => Environment.GetEnvironmentVariable("URUMI_TEST_KUBECONFIG") is { Length: > 0 } path ? path : null;

    public RealClusterFactAttribute()
    {
        if (Kubeconfig is null)
        {
            Skip = "URUMI_TEST_KUBECONFIG is not set: no real cluster to test against (README: Running Urumi on kind)";
        }
    }
}

/// <summary>The lifecycle on a real cluster (kind, k3s, AKS) with the pinned Helm 3.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class RealClusterTests(AzuriteFixture fixture)
{
    [RealClusterFact]
    public async Task On_a_real_cluster_a_store_becomes_Ready_and_deleting_it_removes_its_namespace()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string>
        {
            ["Urumi__Cluster__Kubeconfig"] = RealClusterFactAttribute.Kubeconfig!,
            ["Urumi__Helm__Timeout"] = "00:08:00",
            ["Urumi__Provisioning__Deadline"] = "00:15:00",
        });
        using var kube = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(RealClusterFactAttribute.Kubeconfig));
        using var alice = plane.As(ControlPlane.AliceKey);

        var id = await ControlPlane.CreateStoreAsync(alice, "realshop");
        await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{id}")).StatusCode);
        await plane.WaitForPhaseAsync(id, "Deleted", TimeSpan.FromMinutes(10));

        Assert.DoesNotContain((await kube.CoreV1.ListNamespaceAsync()).Items, n => n.Metadata.Name == id);
    }
}

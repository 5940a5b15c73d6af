using System.Net;
using k8s;
using k8s.Models;
using Xunit.Abstractions;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// The control plane holds exactly the permissions it uses: its store lifecycle runs on a KubeSim with RBAC on, as
/// the ServiceAccount bound to the ClusterRole `helm template charts/urumi` renders, with each Helm major version.
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class PermissionTests(AzuriteFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task The_lifecycle_runs_as_the_charts_ServiceAccount_and_everything_it_uses_is_granted()
    {
        var used = new HashSet<string>();
        var denied = new List<string>();
        var granted = new HashSet<string>();
        foreach (var helm in new[] { "helm3", "helm4" })
        {
            await using var plane = await ControlPlane.StartAsServiceAccountAsync(fixture.Azurite, helm, new Dictionary<string, string>
            {
                ["Urumi__Helm__Timeout"] = "00:00:06",
                ["Urumi__MaxActiveStoresPerOwner"] = "10",
                ["Urumi__Provisioning__NamespaceDeletionTimeout"] = "00:00:05",
            });

            await RunLifecycleAsync(plane);

            var access = plane.Sim.Server.Cluster.Access.Query(a => a.User == ControlPlane.ServiceAccountUser);
            // Discovery, /version and OpenAPI are open to every authenticated user; the role is about resources.
            used.UnionWith(access.Where(a => a.Allowed && !a.Resource.StartsWith('/')).Select(a => $"{a.Group}/{a.Resource}:{a.Verb}"));
            denied.AddRange(access.Where(a => !a.Allowed).Select(a => $"{helm}: {a.Verb} {a.Group}/{a.Resource} {a.Namespace}/{a.Name}"));
            granted.UnionWith(Grants(await plane.Sim.Client.RbacAuthorizationV1.ReadClusterRoleAsync("urumi")));
        }

        Assert.True(denied.Count == 0, $"refused by RBAC (403):\n{string.Join('\n', denied.Distinct())}");
        Assert.True(used.IsSubsetOf(granted), $"used but not granted: {string.Join(", ", used.Except(granted).Order())}");
        output.WriteLine($"used: {string.Join(", ", used.Order())}");
        Assert.True(granted.IsSubsetOf(used), $"granted but never used: {string.Join(", ", granted.Except(used).Order())}");
    }

    /// <summary>Create, fail with keepFailed, retry, terminate while helm waits and retry, delete, and delete with the namespace stuck.</summary>
    private static async Task RunLifecycleAsync(ControlPlane plane)
    {
        using var alice = plane.As(ControlPlane.AliceKey);
        var ready = await ControlPlane.CreateStoreAsync(alice, "rbac-ready");
        await plane.WaitForPhaseAsync(ready, "Ready");

        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.CrashLoopBackOff, LabelSelector: "app.kubernetes.io/component=wordpress"));
        var kept = await ControlPlane.CreateStoreAsync(alice, "rbac-kept", keepFailed: true);
        await plane.WaitForPhaseAsync(kept, "Failed");
        plane.Sim.Server.Faults.Clear();
        Assert.Equal(HttpStatusCode.Accepted, (await alice.PostAsync($"/api/stores/{kept}/retry", null)).StatusCode);
        // The retry replaces the kept namespace's objects: the namespace itself is updated (labels, owner).
        var retried = await Urumi.Testing.Eventually.Until(
            () => ControlPlane.GetStoreAsync(alice, kept),
            s => (int?)s["attempt"] == 2 && (string?)s["phase"] is "Ready" or "Failed",
            TimeSpan.FromSeconds(120), $"the retry of {kept} to end");
        Assert.True((string?)retried["phase"] == "Ready", $"the retry of {kept} ended {retried["phase"]}: {retried["lastError"]}");

        // Terminated through the management API while its helm waits, then retried: the retry stops that helm through
        // the release's Lease and takes the release over.
        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"));
        var terminated = await ControlPlane.CreateStoreAsync(alice, "rbac-terminated");
        await Urumi.Testing.Eventually.Until(() => StoreLifecycleTests.ReleaseStatusAsync(plane, terminated), s => s == "pending-install", TimeSpan.FromSeconds(60), "helm to be installing");
        await plane.Storage().TerminateInstanceAsync(Urumi.Functions.Stores.Store.ProvisionInstanceId(terminated, 1), "by hand");
        await Urumi.Testing.Eventually.Until(() => alice.PostAsync($"/api/stores/{terminated}/retry", null), r => r.StatusCode == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(30), $"the retry of {terminated} to be accepted");
        await Urumi.Testing.Eventually.Until(() => StoreLifecycleTests.ReleaseStatusAsync(plane, terminated), s => s == "pending-upgrade", TimeSpan.FromSeconds(60), "the retry's helm to be installing");
        plane.Sim.Server.Faults.Clear();
        await plane.WaitForPhaseAsync(terminated, "Ready");

        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{ready}")).StatusCode);
        await plane.WaitForPhaseAsync(ready, "Deleted");

        plane.Sim.Server.Cluster.StickNamespace(kept);
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{kept}")).StatusCode);
        await Urumi.Testing.Eventually.Until(
            () => ControlPlane.GetStoreAsync(alice, kept),
            s => (string?)s["conditions"]?.AsArray().FirstOrDefault(c => (string?)c!["type"] == "Reconciling")?["reason"] == "NamespaceStuck",
            TimeSpan.FromSeconds(60), $"store {kept} to report its namespace stuck");
    }

    private static IEnumerable<string> Grants(V1ClusterRole role) =>
        from rule in role.Rules
        from g in rule.ApiGroups
        from r in rule.Resources
        from v in rule.Verbs
        select $"{g}/{r}:{v}";
}

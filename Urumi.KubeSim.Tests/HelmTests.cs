using System.Text.Json;
using k8s;
using k8s.Models;
using Urumi.KubeSim.Testing;
using Urumi.KubeSim.Tests.Support;

namespace Urumi.KubeSim.Tests;

/// <summary>Real Helm 3.17.3 and 4.1.4 against KubeSim, each command with a fresh HOME.</summary>
public sealed class HelmTests
{
    private static readonly string ShopChart = Path.Combine(AppContext.BaseDirectory, "Charts", "shop");

    /// <summary>helm binary and the --wait flag to use: Helm 3, Helm 4's default watcher, Helm 4 legacy polling.</summary>
    public static TheoryData<string, string> Helms => new()
    {
        { "helm3", "--wait" },
        { "helm4", "--wait" },
        { "helm4", "--wait=legacy" },
    };

    [Theory]
    [MemberData(nameof(Helms))]
    public async Task A_chart_with_a_database_hook_job_hpa_and_ingress_installs_upgrades_lists_and_uninstalls(string helm, string wait)
    {
        await using var sim = await Sim.StartAsync();
        await CreateNamespaceWithQuotaAsync(sim, "shop", pods: "10", cpu: "2");

        var install = await sim.RunAsync(helm, "upgrade", "--install", "rel", ShopChart, "-n", "shop", wait, "--timeout", "60s");
        install.EnsureSuccess();
        var status = JsonDocument.Parse((await sim.RunAsync(helm, "status", "rel", "-n", "shop", "-o", "json")).EnsureSuccess().Stdout).RootElement;
        Assert.Equal("deployed", status.GetProperty("info").GetProperty("status").GetString());
        var seed = await sim.Client.BatchV1.ReadNamespacedJobAsync("rel-seed", "shop");
        Assert.Contains(seed.Status.Conditions, c => c.Type == "Complete" && c.Status == "True");
        Assert.Equal("Bound", (await sim.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data-rel-db-0", "shop")).Status.Phase);

        var listed = (await sim.RunAsync(helm, "list", "-A", "-o", "json")).EnsureSuccess().Stdout;
        Assert.Contains("\"name\":\"rel\"", listed);

        (await sim.RunAsync(helm, "upgrade", "--install", "rel", ShopChart, "-n", "shop", wait, "--timeout", "60s", "--set", "web.message=changed")).EnsureSuccess();
        var config = await sim.Client.CoreV1.ReadNamespacedConfigMapAsync("rel-config", "shop");
        Assert.Equal("changed", config.Data["message"]);
        var history = JsonDocument.Parse((await sim.RunAsync(helm, "history", "rel", "-n", "shop", "-o", "json")).EnsureSuccess().Stdout).RootElement;
        Assert.Equal(["superseded", "deployed"], history.EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        var web = await sim.Client.AppsV1.ReadNamespacedDeploymentAsync("rel-web", "shop");
        Assert.Equal(2, web.Metadata.Generation);
        Assert.Equal(web.Metadata.Generation, web.Status.ObservedGeneration);

        var uninstall = await sim.RunAsync(helm, "uninstall", "rel", "-n", "shop", "--wait", "--timeout", "60s");
        uninstall.EnsureSuccess();
        Assert.Empty((await sim.Client.AppsV1.ListNamespacedDeploymentAsync("shop")).Items);
        Assert.Empty((await sim.Client.AppsV1.ListNamespacedStatefulSetAsync("shop")).Items);
        Assert.Empty((await sim.Client.CoreV1.ListNamespacedSecretAsync("shop", labelSelector: "owner=helm")).Items);
        Assert.DoesNotContain("\"name\":\"rel\"", (await sim.RunAsync(helm, "list", "-A", "-o", "json")).EnsureSuccess().Stdout);
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task The_chart_helm_create_writes_installs_and_its_test_hook_passes(string helm)
    {
        await using var sim = await Sim.StartAsync();
        (await sim.RunAsync(helm, "create", "starter")).EnsureSuccess();
        var chart = Path.Combine(sim.Directory, "starter");
        (await sim.RunAsync(helm, "upgrade", "--install", "demo", chart, "-n", "default", "--wait", "--timeout", "60s", "--set", "autoscaling.enabled=true,ingress.enabled=true")).EnsureSuccess();
        var test = (await sim.RunAsync(helm, "test", "demo", "-n", "default", "--timeout", "60s")).EnsureSuccess();
        Assert.Contains("Succeeded", test.Stdout);
    }

    [Theory]
    [InlineData("helm3", "--atomic", "Error: release rel failed, and has been uninstalled due to atomic being set: context deadline exceeded")]
    [InlineData("helm4", "--rollback-on-failure", "release rel failed, and has been uninstalled due to rollback-on-failure being set")]
    public async Task A_release_whose_pods_never_become_ready_is_removed_by_atomic_installs(string helm, string atomic, string message)
    {
        await using var sim = await Sim.StartAsync();
        sim.Server.Faults.FailPods(new Faults.PodFault(Faults.PodFailure.ImagePullBackOff, "default", "app=rel-web"));
        var install = await sim.RunAsync(helm, "upgrade", "--install", "rel", ShopChart, "-n", "default", "--wait", atomic, "--timeout", "5s");
        Assert.Equal(1, install.ExitCode);
        Assert.Contains(message, install.Stderr);
        if (helm == "helm4")
        {
            Assert.Contains("resource Deployment/default/rel-web not ready. status: InProgress", install.Stderr);
        }

        Assert.Empty((await sim.Client.AppsV1.ListNamespacedDeploymentAsync("default")).Items);
        Assert.Empty((await sim.Client.CoreV1.ListNamespacedSecretAsync("default", labelSelector: "owner=helm")).Items);
    }

    [Theory]
    [InlineData("helm3", "Error: context deadline exceeded")]
    [InlineData("helm4", "context deadline exceeded")]
    public async Task A_quota_too_small_makes_the_wait_time_out_and_the_replica_set_says_why(string helm, string message)
    {
        await using var sim = await Sim.StartAsync();
        await CreateNamespaceWithQuotaAsync(sim, "tight", pods: "10", cpu: "40m");
        var install = await sim.RunAsync(helm, "upgrade", "--install", "rel", ShopChart, "-n", "tight", "--wait", "--timeout", "5s");
        Assert.Equal(1, install.ExitCode);
        Assert.Contains(message, install.Stderr);

        var replicaSet = (await sim.Client.AppsV1.ListNamespacedReplicaSetAsync("tight")).Items.Single();
        var failure = Assert.Single(replicaSet.Status.Conditions, c => c.Type == "ReplicaFailure");
        Assert.Equal("FailedCreate", failure.Reason);
        Assert.Contains("exceeded quota: compute", failure.Message);
        var events = await sim.Client.CoreV1.ListNamespacedEventAsync("tight", fieldSelector: $"involvedObject.name={replicaSet.Metadata.Name}");
        Assert.Contains(events.Items, e => e.Reason == "FailedCreate" && e.Message.Contains("Error creating: pods", StringComparison.Ordinal));
        var deployment = await sim.Client.AppsV1.ReadNamespacedDeploymentAsync("rel-web", "tight");
        Assert.Contains(deployment.Status.Conditions, c => c.Type == "ReplicaFailure" && c.Message.Contains("exceeded quota", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Installs_through_KubeSim_are_on_record_with_the_client_that_made_them()
    {
        await using var sim = await Sim.StartAsync();
        (await sim.RunAsync("helm3", "upgrade", "--install", "one", ShopChart, "-n", "default", "--wait", "--timeout", "60s")).EnsureSuccess();
        var releaseWrites = sim.Server.Operations.Query(o => o.Resource == "secrets" && o.Name == "sh.helm.release.v1.one.v1");
        Assert.Equal(["pending-install", "deployed"], releaseWrites.Select(o => o.Detail).Distinct());
        Assert.Equal(["create", "update"], releaseWrites.Select(o => o.Verb).Distinct());
        Assert.All(releaseWrites, o => Assert.StartsWith("Helm/3.17.3", o.Actor, StringComparison.Ordinal));
    }

    private static async Task CreateNamespaceWithQuotaAsync(Sim sim, string ns, string pods, string cpu)
    {
        var k = sim.Client;
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await k.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = "compute" },
            Spec = new V1ResourceQuotaSpec
            {
                Hard = new Dictionary<string, ResourceQuantity>
                {
                    ["pods"] = new(pods),
                    ["requests.cpu"] = new(cpu),
                    ["requests.memory"] = new("2Gi"),
                    ["limits.cpu"] = new("4"),
                    ["limits.memory"] = new("4Gi"),
                    ["persistentvolumeclaims"] = new("2"),
                },
            },
        }, ns);
        await k.CoreV1.CreateNamespacedLimitRangeAsync(Objects.ContainerDefaults("100m", "128Mi", "50m", "64Mi"), ns);
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using k8s;
using k8s.Models;
using Urumi.Charts.Tests.Support;
using Urumi.KubeSim.Testing;

namespace Urumi.Charts.Tests;

/// <summary>Each store chart installed by real Helm on Urumi.KubeSim into a namespace guarded like the control plane's.</summary>
public sealed class InstallTests
{
    /// <summary>The keys each chart reads from the store's Secret (the control plane generates them).</summary>
    private static readonly Dictionary<string, (string HookJob, string[] SecretKeys)> Stores = new()
    {
        [ChartCatalog.WooCommerce] = ("store-1-setup",
        [
            "mariadb-root-password", "mariadb-password", "wordpress-admin-password",
            "wordpress-auth-key", "wordpress-secure-auth-key", "wordpress-logged-in-key", "wordpress-nonce-key",
            "wordpress-auth-salt", "wordpress-secure-auth-salt", "wordpress-logged-in-salt", "wordpress-nonce-salt",
        ]),
        [ChartCatalog.Medusa] = ("store-1-seed", ["postgres-password", "jwt-secret", "cookie-secret", "medusa-admin-password"]),
    };

    public static TheoryData<string, string> Cases() => ChartCatalog.Pairs(ChartCatalog.Helms, ChartCatalog.Stores);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_store_chart_installs_and_upgrades_with_wait_inside_the_store_quota_and_its_hook_Job_completes(string helm, string chart)
    {
        await using var sim = await Sim.StartAsync();
        const string ns = "store-1";
        var (hookJob, secretKeys) = Stores[chart];
        await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = ns,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "urumi", ["pod-security.kubernetes.io/enforce"] = "restricted" },
            },
        });
        await sim.Client.CoreV1.CreateNamespacedResourceQuotaAsync(StoreQuota.ResourceQuota(), ns);
        await sim.Client.CoreV1.CreateNamespacedLimitRangeAsync(StoreQuota.LimitRange(), ns);
        var passwords = secretKeys.ToDictionary(k => k, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant());
        await sim.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "store-1-credentials" },
            StringData = passwords,
        }, ns);

        string[] install = ["upgrade", "--install", "store-1", ChartCatalog.Path(chart), "--namespace", ns, "-f", ChartCatalog.ValuesFile(chart, "local"), "--wait", "--timeout", "3m"];
        (await sim.RunAsync(helm, install)).EnsureSuccess();

        var firstJob = await AssertStoreIsUpAsync(sim.Client, ns, hookJob, expectedRevision: 1, sim, helm);

        // Running it again (what a retry or an upgrade does) replaces the hook Job, which completes again.
        (await sim.RunAsync(helm, install)).EnsureSuccess();
        var secondJob = await AssertStoreIsUpAsync(sim.Client, ns, hookJob, expectedRevision: 2, sim, helm);
        Assert.NotEqual(firstJob.Metadata.Uid, secondJob.Metadata.Uid);

        var quota = await sim.Client.CoreV1.ReadNamespacedResourceQuotaAsync("store-quota", ns);
        foreach (var (name, hard) in quota.Status.Hard)
        {
            Assert.True(quota.Status.Used[name].ToDecimal() <= hard.ToDecimal(), $"{name}: used {quota.Status.Used[name]} of {hard}");
        }
        Assert.True(quota.Status.Used["pods"].ToDecimal() > 0);

        // The passwords are read from the Secret at run time: neither the release nor any ConfigMap holds them.
        var manifest = (await sim.RunAsync(helm, "get", "all", "store-1", "--namespace", ns)).EnsureSuccess().Stdout;
        var maps = await sim.Client.CoreV1.ListNamespacedConfigMapAsync(ns);
        var mapText = JsonSerializer.Serialize(maps.Items.Select(m => m.Data));
        var events = KubernetesJson.Serialize(await sim.Client.CoreV1.ListNamespacedEventAsync(ns));
        foreach (var (key, password) in passwords)
        {
            Assert.False(manifest.Contains(password, StringComparison.Ordinal), $"{key} is in the Helm release");
            Assert.False(mapText.Contains(password, StringComparison.Ordinal), $"{key} is in a ConfigMap");
            Assert.False(events.Contains(password, StringComparison.Ordinal), $"{key} is in an event");
        }
    }

    private static async Task<V1Job> AssertStoreIsUpAsync(IKubernetes client, string ns, string hookJob, int expectedRevision, Sim sim, string helm)
    {
        var status = JsonDocument.Parse((await sim.RunAsync(helm, "status", "store-1", "--namespace", ns, "-o", "json")).EnsureSuccess().Stdout).RootElement;
        Assert.Equal("deployed", status.GetProperty("info").GetProperty("status").GetString());
        Assert.Equal(expectedRevision, status.GetProperty("version").GetInt32());

        var job = await client.BatchV1.ReadNamespacedJobAsync(hookJob, ns);
        Assert.Contains(job.Status.Conditions ?? [], c => c.Type == "Complete" && c.Status == "True");
        Assert.Equal(1, job.Status.Succeeded);

        foreach (var deployment in (await client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items)
        {
            Assert.True(deployment.Status.AvailableReplicas == deployment.Spec.Replicas, $"{deployment.Metadata.Name}: {deployment.Status.AvailableReplicas} of {deployment.Spec.Replicas} available");
        }
        foreach (var set in (await client.AppsV1.ListNamespacedStatefulSetAsync(ns)).Items)
        {
            Assert.True(set.Status.ReadyReplicas == set.Spec.Replicas, $"{set.Metadata.Name}: {set.Status.ReadyReplicas} of {set.Spec.Replicas} ready");
        }
        foreach (var claim in (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items)
        {
            Assert.Equal("Bound", claim.Status.Phase);
        }
        return job;
    }
}

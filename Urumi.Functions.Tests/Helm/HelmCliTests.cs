using k8s;
using k8s.Models;
using Urumi.Testing;
using Urumi.Functions.Helm;
using Urumi.KubeSim.Faults;
using Urumi.KubeSim.Testing;

namespace Urumi.Functions.Tests.Helm;

public sealed class HelmCliTests
{
    private const string Ns = "store-1";

    private static HelmCli Helm(Sim sim, string tool) =>
        new(Repo.Tool(tool), sim.ToolEnvironment().ToDictionary(kv => kv.Key, kv => (string?)kv.Value));

    private static HelmInstall WooCommerce(TimeSpan timeout) => new(
        "store-1",
        Ns,
        Path.Combine(Repo.Root, "charts", "woocommerce"),
        [Path.Combine(Repo.Root, "charts", "woocommerce", "values-local.yaml")],
        new Dictionary<string, string> { ["ingress.host"] = "store-1.localtest.me", ["store.title"] = "Shoes, socks and hats" },
        timeout);

    private static async Task CreateNamespaceAsync(Sim sim) =>
        await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });

    [Fact]
    public void A_failed_commands_description_keeps_the_set_keys_and_leaves_out_their_values()
    {
        string[] arguments = ["upgrade", "--install", "store-1", "charts/woocommerce", "--set-string", "db.password=hunter2\\,x", "--set-string", "ingress.host=a.example", "--wait"];

        var described = HelmCli.Describe(arguments);

        Assert.Equal("helm upgrade --install store-1 charts/woocommerce --set-string db.password=… --set-string ingress.host=… --wait", described);
    }

    [Theory]
    [InlineData("helm3", 3, "v3.17.3")]
    [InlineData("helm4", 4, "v4.1.4")]
    public async Task I_can_tell_which_helm_I_run(string tool, int major, string text)
    {
        await using var sim = await Sim.StartAsync();

        var version = await Helm(sim, tool).VersionAsync();

        Assert.Equal(new HelmVersion(text, major), version);
    }

    [Theory]
    [InlineData("v2.17.0")]
    [InlineData("v5.0.0")]
    [InlineData("garbage")]
    public void A_helm_other_than_3_or_4_is_refused_by_name(string text) =>
        Assert.Contains("Urumi runs Helm 3 or Helm 4", Assert.Throws<NotSupportedException>(() => HelmVersion.Parse(text)).Message);

    [Fact]
    public void The_wait_flag_follows_the_major_version_and_values_arrive_as_written()
    {
        var install = WooCommerce(TimeSpan.FromMinutes(5)) with { Values = new Dictionary<string, string> { ["store.title"] = @"a,b\c" } };

        var helm3 = HelmCli.UpgradeInstallArguments(install, new HelmVersion("v3.17.3", 3));
        var helm4 = HelmCli.UpgradeInstallArguments(install, new HelmVersion("v4.1.4", 4));

        Assert.Contains("--wait", helm3);
        Assert.DoesNotContain("--wait=watcher", helm3);
        Assert.Contains("--wait=watcher", helm4);
        Assert.Equal("300s", helm3[helm3.ToList().IndexOf("--timeout") + 1]);
        Assert.Contains(@"store.title=a\,b\\c", helm3);
        Assert.Equal("json", helm4[helm4.ToList().IndexOf("--output") + 1]);
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task I_can_install_read_and_uninstall_a_store_and_uninstalling_twice_is_harmless(string tool)
    {
        await using var sim = await Sim.StartAsync();
        await CreateNamespaceAsync(sim);
        var helm = Helm(sim, tool);
        var version = await helm.VersionAsync();

        Assert.Null(await helm.StatusAsync("store-1", Ns));
        var installed = await helm.UpgradeInstallAsync(WooCommerce(TimeSpan.FromMinutes(2)), version);
        var ingress = await sim.Client.NetworkingV1.ReadNamespacedIngressAsync("store-1", Ns);

        Assert.Equal(new HelmRelease("store-1", Ns, 1, HelmReleaseStatus.Deployed, "Install complete"), installed);
        Assert.Equal("store-1.localtest.me", ingress.Spec.Rules.Single().Host);
        Assert.Equal(installed, await helm.StatusAsync("store-1", Ns));
        Assert.True(await helm.UninstallAsync("store-1", Ns, TimeSpan.FromMinutes(1)));
        Assert.False(await helm.UninstallAsync("store-1", Ns, TimeSpan.FromMinutes(1)));
        Assert.Null(await helm.StatusAsync("store-1", Ns));
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task A_helm_killed_mid_install_leaves_a_locked_release_that_unlocking_lets_the_next_install_finish(string tool)
    {
        await using var sim = await Sim.StartAsync();
        await CreateNamespaceAsync(sim);
        var helm = Helm(sim, tool);
        var version = await helm.VersionAsync();
        var storage = new HelmReleaseStorage(sim.Client);
        sim.Server.Faults.FailPods(new PodFault(PodFailure.ImagePullBackOff, Ns, "app.kubernetes.io/component=wordpress"));

        using var kill = new CancellationTokenSource();
        var install = helm.UpgradeInstallAsync(WooCommerce(TimeSpan.FromMinutes(5)), version, forceful: kill.Token);
        await Eventually.Until(() => storage.LatestAsync("store-1", Ns), r => r?.Status == HelmReleaseStatus.PendingInstall,
            TimeSpan.FromSeconds(60), "the release to be pending-install");
        // The release record can come before the Deployment (Helm 4 applies server-side): not found yet is "not yet".
        await Eventually.Until(async () => (await sim.Client.AppsV1.ListNamespacedDeploymentAsync(Ns)).Items.FirstOrDefault(d => d.Metadata.Name == "store-1-wordpress"),
            d => d?.Status?.Replicas > 0, TimeSpan.FromSeconds(60), "helm to be waiting on WordPress");
        kill.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => install);

        var locked = await helm.StatusAsync("store-1", Ns);
        Assert.True(locked is { IsLocked: true, Status: HelmReleaseStatus.PendingInstall }, $"after kill: {locked}");
        var blocked = await Assert.ThrowsAsync<HelmCommandException>(() => helm.UpgradeInstallAsync(WooCommerce(TimeSpan.FromMinutes(1)), version));
        Assert.Contains("another operation (install/upgrade/rollback) is in progress", blocked.StandardError);

        var unlocked = await storage.UnlockAsync("store-1", Ns);
        Assert.Equal(new HelmRelease("store-1", Ns, 1, HelmReleaseStatus.Failed, HelmReleaseStorage.UnlockedDescription), unlocked);
        Assert.Equal(unlocked, await helm.StatusAsync("store-1", Ns));

        sim.Server.Faults.Clear();
        var installed = await helm.UpgradeInstallAsync(WooCommerce(TimeSpan.FromMinutes(2)), version);
        Assert.Equal((2, HelmReleaseStatus.Deployed), (installed.Revision, installed.Status));
        Assert.Equal(installed, await storage.LatestAsync("store-1", Ns));
        Assert.Equal(installed, await storage.UnlockAsync("store-1", Ns));
    }
}

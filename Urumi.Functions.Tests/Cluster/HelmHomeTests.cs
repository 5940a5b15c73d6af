using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Tests.Cluster;

/// <summary>helm's home holds the simulator's kubeconfig and bearer token: no process leaves it behind for long.</summary>
public sealed class HelmHomeTests
{
    [Fact]
    public void The_homes_of_processes_that_no_longer_run_are_deleted_and_the_others_are_left()
    {
        var homes = Directory.CreateTempSubdirectory("urumi-helm-homes-").FullName;
        try
        {
            // No process has a pid above the kernel's limit (at most 2^22 on Linux).
            var dead = ClusterConnection.HelmHome(homes, 99_999_999);
            var alive = ClusterConnection.HelmHome(homes, Environment.ProcessId);
            var other = Path.Combine(homes, "not-a-pid");
            foreach (var home in new[] { dead, alive, other })
            {
                Directory.CreateDirectory(home);
                File.WriteAllText(Path.Combine(home, "kubesim.kubeconfig"), "token: secret");
            }

            ClusterConnection.RemoveStaleHelmHomes(homes);

            Assert.False(Directory.Exists(dead));
            Assert.True(Directory.Exists(alive));
            Assert.True(Directory.Exists(other));
        }
        finally
        {
            Directory.Delete(homes, recursive: true);
        }
    }

    [Fact]
    public async Task A_connection_to_the_simulated_cluster_deletes_its_helm_home_when_it_is_disposed()
    {
        var options = Options.Create(new UrumiOptions { Cluster = { Mode = ClusterMode.Simulated } });
        var connection = new ClusterConnection(options, new KubernetesCallTimer(), NullLogger<ClusterConnection>.Instance);
        var home = ClusterConnection.HelmHome(ClusterConnection.HelmHomes, Environment.ProcessId);

        await connection.GetAsync();
        var kubeconfigWritten = File.Exists(Path.Combine(home, "kubesim.kubeconfig"));
        await connection.DisposeAsync();

        Assert.True(kubeconfigWritten);
        Assert.False(Directory.Exists(home));
    }
}

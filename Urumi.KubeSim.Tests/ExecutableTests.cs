using System.Diagnostics;
using k8s;
using Urumi.Testing;

namespace Urumi.KubeSim.Tests;

/// <summary>The Urumi.KubeSim executable: writes a kubeconfig, announces "ready URL", and stops on SIGTERM.</summary>
public sealed class ExecutableTests
{
    [Fact]
    public async Task The_executable_writes_a_kubeconfig_says_ready_and_serves_until_terminated()
    {
        var directory = Directory.CreateTempSubdirectory("kubesim-exe-");
        var kubeconfig = Path.Combine(directory.FullName, "config");
        var port = FreePort.Next();
        var dll = Path.Combine(Repo.Root, "Urumi.KubeSim", "bin", Repo.Configuration, "net10.0", "Urumi.KubeSim.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { dll, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--kubeconfig", kubeconfig, "--token", "t0ken" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal($"ready http://127.0.0.1:{port}", line);

            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
            using var client = new Kubernetes(config);
            var namespaces = await client.CoreV1.ListNamespaceAsync();
            Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            var stopped = process.WaitForExit(TimeSpan.FromSeconds(15));
            if (!stopped)
            {
                process.Kill(entireProcessTree: true);
            }

            directory.Delete(recursive: true);
            Assert.True(stopped, "the simulator did not stop on SIGTERM");
        }

        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [InlineData("many", "error: --port needs a number")]
    [InlineData("99999", "error: --port must be 0-65535")]
    [InlineData("-1", "error: --port must be 0-65535")]
    public async Task A_bad_option_is_refused_with_usage_and_a_non_zero_exit(string portValue, string message)
    {
        var dll = Path.Combine(Repo.Root, "Urumi.KubeSim", "bin", Repo.Configuration, "net10.0", "Urumi.KubeSim.dll");
        var result = await CommandLine.RunAsync("dotnet", [dll, "--port", portValue]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("usage:", result.Stderr);
    }
}

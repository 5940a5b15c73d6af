using k8s;
using Urumi.Testing;

namespace Urumi.KubeSim.Testing;

/// <summary>A KubeSim for one test, with a kubeconfig file and a fresh HOME for the real clients.</summary>
public sealed class Sim : IAsyncDisposable
{
    private Sim(KubeSimServer server, string directory)
    {
        Server = server;
        Directory = directory;
        KubeconfigPath = Path.Combine(directory, "kubeconfig");
        server.WriteKubeconfig(KubeconfigPath);
        Client = new Kubernetes(server.CertificateAuthority is null
            ? new KubernetesClientConfiguration { Host = server.Url, AccessToken = server.Cluster.Options.Token }
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    public KubeSimServer Server { get; }
    public string Directory { get; }
    public string KubeconfigPath { get; }
    public Kubernetes Client { get; }

    public static async Task<Sim> StartAsync(KubeSimOptions? options = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kubesim-tests", Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return new Sim(await KubeSimServer.StartAsync(options ?? KubeSimOptions.Fast()), directory);
    }

    /// <summary>Runs helm3, helm4, kubectl1.31 or kubectl1.33 against this simulator with a fresh HOME each time.</summary>
    public Task<CommandResult> RunAsync(string tool, params string[] arguments) =>
        CommandLine.RunAsync(Repo.Tool(tool), arguments, ToolEnvironment(), workingDirectory: Directory, timeout: TimeSpan.FromMinutes(2));

    /// <summary>What helm and kubectl need to reach this simulator: its kubeconfig and a fresh HOME of their own.</summary>
    public Dictionary<string, string> ToolEnvironment()
    {
        var home = Path.Combine(Directory, "home-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(home);
        return new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["KUBECONFIG"] = KubeconfigPath,
            ["HELM_CACHE_HOME"] = Path.Combine(home, ".cache", "helm"),
            ["HELM_CONFIG_HOME"] = Path.Combine(home, ".config", "helm"),
            ["HELM_DATA_HOME"] = Path.Combine(home, ".local", "share", "helm"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

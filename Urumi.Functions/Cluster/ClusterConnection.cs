using System.Diagnostics;
using k8s;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using Urumi.KubeSim;

namespace Urumi.Functions.Cluster;

/// <summary>The cluster this process talks to, once connected: the API client and what helm needs to reach it.</summary>
public sealed record ClusterSession(
    ClusterMode Mode,
    string Server,
    IKubernetes Kubernetes,
    IReadOnlyDictionary<string, string?> HelmEnvironment,
    KubeSimServer? Simulator)
{
    public bool Simulated => Simulator is not null;
}

/// <summary>
/// Resolves Urumi:Cluster:Mode once, on first use: Auto takes the kubeconfig's context when its API server
/// answers and otherwise starts an in-process Urumi.KubeSim; Simulated always does.
/// </summary>
public sealed partial class ClusterConnection(IOptions<UrumiOptions> options, KubernetesCallTimer timer, ILogger<ClusterConnection> logger) : IAsyncDisposable
{
    private readonly Lazy<Task<ClusterSession>> _session = new(() => ConnectAsync(options.Value, timer, logger));

    public Task<ClusterSession> GetAsync() => _session.Value;

    public async ValueTask DisposeAsync()
    {
        if (_session.IsValueCreated && _session.Value.IsCompletedSuccessfully)
        {
            var session = _session.Value.Result;
            session.Kubernetes.Dispose();
            if (session.Simulator is not null)
            {
                await session.Simulator.DisposeAsync();
            }
            TryDelete(HelmHome(HelmHomes, Environment.ProcessId));
        }
    }

    /// <summary>Where each process keeps its helm home: {temp}/urumi-helm/{pid}.</summary>
    public static string HelmHomes => Path.Combine(Path.GetTempPath(), "urumi-helm");

    public static string HelmHome(string homes, int pid) => Path.Combine(homes, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Deletes the helm homes under <paramref name="homes"/> whose process no longer runs: a process killed with -9
    /// leaves its home, and in it the simulator's kubeconfig with its bearer token. Best effort: what cannot be
    /// deleted (another user's, or in use) is left.
    /// </summary>
    public static void RemoveStaleHelmHomes(string homes)
    {
        if (!Directory.Exists(homes))
        {
            return;
        }
        foreach (var home in Directory.EnumerateDirectories(homes))
        {
            if (int.TryParse(Path.GetFileName(home), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && !Runs(pid))
            {
                TryDelete(home);
            }
        }
    }

    private static bool Runs(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string home)
    {
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start to remove.
        }
    }

    private static async Task<ClusterSession> ConnectAsync(UrumiOptions o, KubernetesCallTimer timer, ILogger logger)
    {
        var settings = o.Cluster;
        RemoveStaleHelmHomes(HelmHomes);
        var helmHome = HelmHome(HelmHomes, Environment.ProcessId);
        // helm's home holds the simulator's kubeconfig and token: its owner alone may read it.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(helmHome);
        }
        else
        {
            Directory.CreateDirectory(helmHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        ClusterSession session;
        switch (settings.Mode)
        {
            case ClusterMode.InCluster:
                session = new ClusterSession(ClusterMode.InCluster, "in-cluster",
                    Client(KubernetesClientConfiguration.InClusterConfig(), timer), HelmEnvironment(helmHome, null, null), null);
                break;
            case ClusterMode.Simulated:
                session = await SimulateAsync(helmHome, timer);
                break;
            default:
                var path = settings.Kubeconfig ?? KubeconfigPath();
                if (settings.Mode == ClusterMode.Kubeconfig && !File.Exists(path))
                {
                    throw new InvalidOperationException($"Urumi:Cluster:Mode is Kubeconfig but there is no kubeconfig at {path} (set Urumi:Cluster:Kubeconfig or KUBECONFIG).");
                }
                if (File.Exists(path))
                {
                    var config = FromKubeconfig(path, settings.Context);
                    var client = Client(config, timer);
                    if (settings.Mode == ClusterMode.Kubeconfig || await AnswersAsync(client, settings.ProbeTimeout))
                    {
                        session = new ClusterSession(ClusterMode.Kubeconfig, config.Host, client, HelmEnvironment(helmHome, path, settings.Context), null);
                        break;
                    }
                    client.Dispose();
                    UnreachableContext(logger, config.Host, path);
                }
                session = await SimulateAsync(helmHome, timer);
                break;
        }
        if (session.Simulated)
        {
            Simulating(logger, session.Server);
        }
        else
        {
            Connected(logger, session.Mode, session.Server);
        }
        return session;
    }

    /// <summary>
    /// An in-process KubeSim on loopback over HTTPS that requires a random bearer token made for this start. The
    /// token is written only to the kubeconfig this process and its helm use (readable by its owner alone), so no
    /// other local process can read the stores' Secrets through it.
    /// </summary>
    private static async Task<ClusterSession> SimulateAsync(string helmHome, KubernetesCallTimer timer)
    {
        var simulator = await KubeSimServer.StartAsync(new KubeSimOptions { Https = true, Token = KubeSim.Auth.Authentication.NewToken() });
        var kubeconfig = Path.Combine(helmHome, "kubesim.kubeconfig");
        simulator.WriteKubeconfig(kubeconfig);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        return new ClusterSession(ClusterMode.Simulated, simulator.Url, Client(config, timer), HelmEnvironment(helmHome, kubeconfig, null), simulator);
    }

    /// <summary>The kubeconfig's context; a user without credentials (KubeSim's kubeconfig) means anonymous access.</summary>
    private static KubernetesClientConfiguration FromKubeconfig(string path, string? context)
    {
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        }
        catch (k8s.Exceptions.KubeConfigException e) when (e.Message.Contains("does not have appropriate auth credentials", StringComparison.Ordinal))
        {
            var kubeconfig = KubernetesClientConfiguration.LoadKubeConfig(path);
            var name = context ?? kubeconfig.CurrentContext;
            var cluster = kubeconfig.Contexts.First(c => c.Name == name).ContextDetails.Cluster;
            return new KubernetesClientConfiguration { Host = kubeconfig.Clusters.First(c => c.Name == cluster).ClusterEndpoint.Server };
        }
    }

    private static Kubernetes Client(KubernetesClientConfiguration config, KubernetesCallTimer timer) => new(config, timer);

    private static string KubeconfigPath() =>
        Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } fromEnv
            ? fromEnv.Split(Path.PathSeparator)[0]
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    private static async Task<bool> AnswersAsync(Kubernetes client, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client.Version.GetCodeAsync(cts.Token);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or k8s.Autorest.HttpOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>helm's own directories under a private HOME, and the kubeconfig (none in the cluster: helm uses the pod's account).</summary>
    private static Dictionary<string, string?> HelmEnvironment(string home, string? kubeconfig, string? context) => new()
    {
        ["HOME"] = home,
        ["HELM_CACHE_HOME"] = Path.Combine(home, "cache"),
        ["HELM_CONFIG_HOME"] = Path.Combine(home, "config"),
        ["HELM_DATA_HOME"] = Path.Combine(home, "data"),
        ["KUBECONFIG"] = kubeconfig,
        ["HELM_KUBECONTEXT"] = context,
    };

    [LoggerMessage(3001, LogLevel.Warning, "Cluster: SIMULATED. No Kubernetes context answered, so stores go to an in-process Urumi.KubeSim at {Server}; nothing runs for real")]
    private static partial void Simulating(ILogger logger, string server);

    [LoggerMessage(3002, LogLevel.Information, "Cluster: {Mode} at {Server}")]
    private static partial void Connected(ILogger logger, ClusterMode mode, string server);

    [LoggerMessage(3003, LogLevel.Information, "The kubeconfig context at {Server} (from {Path}) did not answer")]
    private static partial void UnreachableContext(ILogger logger, string server, string path);
}

/// <summary>
/// Adds up the time spent in Kubernetes API calls for the current store step (an async-local scope), so the
/// control plane's own overhead can be told apart from the cluster's.
/// </summary>
public sealed class KubernetesCallTimer : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            StepTimes.AddKubernetes(Stopwatch.GetElapsedTime(started));
        }
    }
}

/// <summary>Time spent in helm and in Kubernetes calls by the work running in the current async flow.</summary>
public sealed class StepTimes
{
    private static readonly AsyncLocal<StepTimes?> Current = new();
    private long _helmTicks;
    private long _kubernetesTicks;

    public TimeSpan Helm => TimeSpan.FromTicks(Interlocked.Read(ref _helmTicks));

    public TimeSpan Kubernetes => TimeSpan.FromTicks(Interlocked.Read(ref _kubernetesTicks));

    /// <summary>Starts measuring the current async flow; the times land in the returned object.</summary>
    public static StepTimes Begin() => Current.Value = new StepTimes();

    public static void AddKubernetes(TimeSpan elapsed)
    {
        if (Current.Value is { } times)
        {
            Interlocked.Add(ref times._kubernetesTicks, elapsed.Ticks);
        }
    }

    public static void AddHelm(TimeSpan elapsed)
    {
        if (Current.Value is { } times)
        {
            Interlocked.Add(ref times._helmTicks, elapsed.Ticks);
        }
    }
}

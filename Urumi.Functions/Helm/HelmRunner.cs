using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Helm;

/// <summary>
/// The helm of this process: the binary named by Urumi:Helm:Path (else the one eng/install-tools.sh installs,
/// else helm on PATH), pointed at the connected cluster, its version read once. It remembers the installs
/// running here so that a stop can interrupt them.
/// </summary>
public sealed class HelmRunner(IOptions<UrumiOptions> options, ClusterConnection cluster)
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly Lazy<Task<HelmVersion>> _version = new(async () => await (await CreateAsync(options.Value, cluster)).VersionAsync());

    public string Path { get; } = ResolvePath(options.Value.Helm.Path);

    public Task<HelmVersion> VersionAsync() => _version.Value;

    public async Task<HelmCli> CliAsync() => await CreateAsync(options.Value, cluster);

    /// <summary>
    /// Installs; <see cref="Interrupt"/> on the same release, or <paramref name="interrupt"/>, stops it the way SIGINT does.
    /// <paramref name="started"/> is told helm's pid.
    /// </summary>
    public async Task<HelmRelease> UpgradeInstallAsync(HelmInstall install, CancellationToken ct, CancellationToken interrupt = default, Action<int>? started = null)
    {
        var cli = await CliAsync();
        var version = await VersionAsync();
        using var graceful = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var key = $"{install.Namespace}/{install.Release}";
        _running[key] = graceful;
        try
        {
            return await cli.UpgradeInstallAsync(install, version, ct, graceful.Token, started);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(key, graceful));
        }
    }

    /// <summary>Interrupts an install of this release running in this process; false when there is none here.</summary>
    public bool Interrupt(string ns, string release)
    {
        if (_running.TryGetValue($"{ns}/{release}", out var graceful))
        {
            graceful.Cancel();
            return true;
        }
        return false;
    }

    private static async Task<HelmCli> CreateAsync(UrumiOptions o, ClusterConnection cluster)
    {
        var session = await cluster.GetAsync();
        return new HelmCli(ResolvePath(o.Helm.Path), session.HelmEnvironment);
    }

    private static string ResolvePath(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        return Locate.Upwards(System.IO.Path.Combine(".tools", "bin", "helm"), File.Exists) ?? "helm";
    }
}

/// <summary>Finds a file or folder of the repository from where the app runs (its folder, then each parent).</summary>
public static class Locate
{
    public static string? Upwards(string relative, Func<string, bool> exists)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, relative);
                if (exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}

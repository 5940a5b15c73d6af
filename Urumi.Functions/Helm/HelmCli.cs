using System.Globalization;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Urumi.Functions.Telemetry;

namespace Urumi.Functions.Helm;

/// <summary>
/// Runs the helm binary with an argument list (never a shell string). It decides nothing: it reports what
/// helm said, and the orchestration decides what to do about it.
/// </summary>
public sealed class HelmCli(string helmPath, IReadOnlyDictionary<string, string?> environment)
{
    public async Task<HelmVersion> VersionAsync(CancellationToken cancellationToken = default) =>
        HelmVersion.Parse((await RunAsync(new HelmCall("version"), ["version", "--template", "{{.Version}}"], cancellationToken)).StandardOutput);

    /// <summary>
    /// `helm upgrade --install --wait --output json`, the installed release read from its output. Cancelling <paramref name="graceful"/> sends helm an interrupt so it can
    /// mark the release failed; cancelling <paramref name="forceful"/> kills it (and leaves it pending).
    /// </summary>
    /// <paramref name="started"/> is told helm's pid as soon as it runs.
    public async Task<HelmRelease> UpgradeInstallAsync(HelmInstall install, HelmVersion version, CancellationToken forceful = default, CancellationToken graceful = default, Action<int>? started = null) =>
        ParseRelease((await RunAsync(Call("upgrade", install), UpgradeInstallArguments(install, version), forceful, graceful, started)).StandardOutput);

    /// <summary>`helm template` of what <paramref name="install"/> would install: the manifests, hooks included, as YAML.</summary>
    public async Task<string> TemplateAsync(HelmInstall install, CancellationToken cancellationToken = default)
    {
        var arguments = new List<string> { "template", install.Release, install.Chart, "--namespace", install.Namespace };
        foreach (var file in install.ValuesFiles)
        {
            arguments.AddRange(["--values", file]);
        }
        foreach (var (key, value) in install.Values)
        {
            arguments.AddRange(["--set-string", $"{key}={EscapeSetValue(value)}"]);
        }
        return (await RunAsync(Call("template", install), arguments, cancellationToken)).StandardOutput;
    }

    /// <summary>The release's latest revision, or null when there is no such release.</summary>
    public async Task<HelmRelease?> StatusAsync(string release, string ns, CancellationToken cancellationToken = default)
    {
        try
        {
            return ParseRelease((await RunAsync(new HelmCall("status", release, ns), ["status", release, "--namespace", ns, "--output", "json"], cancellationToken)).StandardOutput);
        }
        catch (HelmCommandException e) when (e.ReleaseNotFound)
        {
            return null;
        }
    }

    /// <summary>A release as `--output json` prints it (status, and upgrade when it is done).</summary>
    private static HelmRelease ParseRelease(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        var info = root.GetProperty("info");
        return new HelmRelease(
            root.GetProperty("name").GetString()!,
            root.GetProperty("namespace").GetString()!,
            root.GetProperty("version").GetInt32(),
            HelmRelease.ParseStatus(info.GetProperty("status").GetString()),
            info.TryGetProperty("description", out var description) ? description.GetString() ?? "" : "");
    }

    /// <summary>`helm uninstall --wait`: true if it removed the release, false if there was none.</summary>
    public async Task<bool> UninstallAsync(string release, string ns, TimeSpan timeout, CancellationToken cancellationToken = default, CancellationToken graceful = default, Action<int>? started = null)
    {
        try
        {
            await RunAsync(new HelmCall("uninstall", release, ns), ["uninstall", release, "--namespace", ns, "--wait", "--timeout", Seconds(timeout)], cancellationToken, graceful, started);
            return true;
        }
        catch (HelmCommandException e) when (e.ReleaseNotFound)
        {
            return false;
        }
    }

    /// <summary>The arguments of `helm upgrade --install`, with the wait flag each major version understands.</summary>
    public static IReadOnlyList<string> UpgradeInstallArguments(HelmInstall install, HelmVersion version)
    {
        var arguments = new List<string> { "upgrade", "--install", install.Release, install.Chart, "--namespace", install.Namespace };
        foreach (var file in install.ValuesFiles)
        {
            arguments.AddRange(["--values", file]);
        }
        foreach (var (key, value) in install.Values)
        {
            arguments.AddRange(["--set-string", $"{key}={EscapeSetValue(value)}"]);
        }
        // Helm 4's bare --wait is its kstatus watcher; Helm 3 has only the one wait.
        arguments.Add(version.Major >= 4 ? "--wait=watcher" : "--wait");
        // The release comes back on stdout, so no `helm status` (a second helm process) is needed after it.
        arguments.AddRange(["--timeout", Seconds(install.Timeout), "--history-max", "10", "--output", "json"]);
        return arguments;
    }

    /// <summary>--set-string splits on commas and reads backslashes: escape both so a value arrives as written.</summary>
    public static string EscapeSetValue(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(",", @"\,", StringComparison.Ordinal);

    private static string Seconds(TimeSpan timeout) => ((long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";

    private static HelmCall Call(string verb, HelmInstall install) => new(verb, install.Release, install.Namespace, install.Chart);

    private async Task<BufferedCommandResult> RunAsync(HelmCall call, IReadOnlyList<string> arguments, CancellationToken forceful, CancellationToken graceful = default, Action<int>? started = null)
    {
        var command = Cli.Wrap(helmPath)
            .WithArguments(arguments)
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None);
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var span = HelmTelemetry.Start(call);
        BufferedCommandResult? result = null;
        try
        {
            var running = command.ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, forceful, graceful);
            started?.Invoke(running.ProcessId);
            result = await running;
        }
        finally
        {
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(startedAt);
            Cluster.StepTimes.AddHelm(elapsed);
            HelmTelemetry.Stop(span, call, elapsed, result?.ExitCode, result?.StandardError ?? "");
        }
        return result.ExitCode == 0
            ? result
            : throw new HelmCommandException(Describe(arguments), result.ExitCode, result.StandardError);
    }

    /// <summary>
    /// The command as errors show it (the store's lastError, histories, spans): every `--set*` value is left out,
    /// keeping its keys, since a chart value may be a secret.
    /// </summary>
    public static string Describe(IReadOnlyList<string> arguments)
    {
        var shown = new List<string>(arguments.Count + 1) { "helm" };
        for (var i = 0; i < arguments.Count; i++)
        {
            shown.Add(arguments[i]);
            if (arguments[i].StartsWith("--set", StringComparison.Ordinal) && i + 1 < arguments.Count)
            {
                // Urumi passes one key=value per flag.
                shown.Add(arguments[++i].Split('=', 2)[0] + "=…");
            }
        }
        return string.Join(' ', shown);
    }
}

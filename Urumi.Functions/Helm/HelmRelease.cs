namespace Urumi.Functions.Helm;

/// <summary>The statuses Helm writes on a release revision (helm pkg/release).</summary>
public enum HelmReleaseStatus
{
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
}

/// <summary>The latest revision of a release, as `helm status` or the release's storage Secret says.</summary>
public sealed record HelmRelease(string Name, string Namespace, int Revision, HelmReleaseStatus Status, string Description)
{
    /// <summary>A helm killed mid-operation leaves the release pending: it is locked until marked failed.</summary>
    public bool IsLocked => Status is HelmReleaseStatus.PendingInstall or HelmReleaseStatus.PendingUpgrade or HelmReleaseStatus.PendingRollback;

    public static HelmReleaseStatus ParseStatus(string? text) => text switch
    {
        "deployed" => HelmReleaseStatus.Deployed,
        "uninstalled" => HelmReleaseStatus.Uninstalled,
        "superseded" => HelmReleaseStatus.Superseded,
        "failed" => HelmReleaseStatus.Failed,
        "uninstalling" => HelmReleaseStatus.Uninstalling,
        "pending-install" => HelmReleaseStatus.PendingInstall,
        "pending-upgrade" => HelmReleaseStatus.PendingUpgrade,
        "pending-rollback" => HelmReleaseStatus.PendingRollback,
        _ => HelmReleaseStatus.Unknown,
    };
}

/// <summary>What `helm upgrade --install` is asked to do.</summary>
public sealed record HelmInstall(
    string Release,
    string Namespace,
    string Chart,
    IReadOnlyList<string> ValuesFiles,
    IReadOnlyDictionary<string, string> Values,
    TimeSpan Timeout);

/// <summary>The helm binary's version: its major version decides the flags.</summary>
public sealed record HelmVersion(string Text, int Major)
{
    public static HelmVersion Parse(string text)
    {
        var trimmed = text.Trim();
        var digits = trimmed.TrimStart('v').Split('.')[0];
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major) && major is 3 or 4
            ? new HelmVersion(trimmed, major)
            : throw new NotSupportedException($"helm {trimmed} is not supported: Urumi runs Helm 3 or Helm 4");
    }
}

/// <summary>helm exited non-zero. Helm exits 1 for every error: the message is in its standard error.</summary>
public sealed class HelmCommandException(string command, int exitCode, string standardError)
    : Exception($"`{command}` exited with {exitCode}: {standardError.Trim()}")
{
    public string Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string StandardError { get; } = standardError;

    public bool ReleaseNotFound => StandardError.Contains("release: not found", StringComparison.Ordinal);
}

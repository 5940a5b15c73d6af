namespace Urumi.Functions.Helm;

/// <summary>Why a helm run failed, as its exit and its standard error show it (a description, not a retry decision).</summary>
public enum HelmFailureReason
{
    /// <summary>Stopped by a signal or a cancellation (an interrupt, a kill, the worker stopping).</summary>
    Interrupted,
    /// <summary>--timeout passed while waiting for the release's resources.</summary>
    Timeout,
    /// <summary>Another operation on the release is in progress (pending-install, pending-upgrade...).</summary>
    Locked,
    /// <summary>The release does not exist.</summary>
    ReleaseNotFound,
    /// <summary>helm could not reach the Kubernetes API.</summary>
    ClusterUnreachable,
    /// <summary>The Kubernetes API refused something (quota, admission, RBAC, validation).</summary>
    Rejected,
    Other,
}

public static class HelmFailureReasons
{
    public static HelmFailureReason Of(int exitCode, string standardError)
    {
        if (exitCode is < 0 or > 128)
        {
            return HelmFailureReason.Interrupted;
        }
        return standardError switch
        {
            _ when Has(standardError, "release: not found") => HelmFailureReason.ReleaseNotFound,
            _ when Has(standardError, "another operation (install/upgrade/rollback) is in progress") => HelmFailureReason.Locked,
            _ when Has(standardError, "context deadline exceeded") || Has(standardError, "timed out waiting") => HelmFailureReason.Timeout,
            _ when Has(standardError, "Kubernetes cluster unreachable") || Has(standardError, "connection refused") => HelmFailureReason.ClusterUnreachable,
            _ when Has(standardError, "forbidden") || Has(standardError, "is invalid") || Has(standardError, "exceeded quota") => HelmFailureReason.Rejected,
            _ => HelmFailureReason.Other,
        };
    }

    private static bool Has(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Urumi.Functions.Helm;

/// <summary>
/// A process of this host named by its pid and start time (a pid alone may have been reused): whether it still
/// runs, and how to stop it the way a terminal would (SIGTERM, then SIGKILL).
/// </summary>
public static partial class LocalProcess
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>This host's name as the leases record it (a pod's name in a cluster: its processes die with it).</summary>
    public static string Host { get; } = Environment.MachineName;

    public static int CurrentPid { get; } = Environment.ProcessId;

    public static DateTime CurrentStarted { get; } = StartedAt(Environment.ProcessId) ?? DateTime.UtcNow;

    /// <summary>When the process with <paramref name="pid"/> started (UTC), or null when there is none.</summary>
    public static DateTime? StartedAt(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime.ToUniversalTime();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="pid"/> still runs the process that started at <paramref name="started"/>.</summary>
    public static bool IsRunning(int pid, DateTime started) =>
        pid > 0 && StartedAt(pid) is { } actual && (actual - started).Duration() < TimeSpan.FromSeconds(1);

    /// <summary>SIGTERM (helm marks its release failed and exits), then SIGKILL after <paramref name="grace"/>; true once it is gone.</summary>
    public static async Task<bool> StopAsync(int pid, DateTime started, TimeSpan grace, TimeProvider time, CancellationToken ct)
    {
        if (!IsRunning(pid, started))
        {
            return true;
        }
        _ = Kill(pid, SigTerm);
        if (await ExitedAsync(pid, started, grace, time, ct))
        {
            return true;
        }
        if (IsRunning(pid, started))
        {
            _ = Kill(pid, SigKill);
        }
        return await ExitedAsync(pid, started, TimeSpan.FromSeconds(5), time, ct);
    }

    private static async Task<bool> ExitedAsync(int pid, DateTime started, TimeSpan within, TimeProvider time, CancellationToken ct)
    {
        var until = time.GetUtcNow() + within;
        while (IsRunning(pid, started))
        {
            if (time.GetUtcNow() >= until)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }
        return true;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

namespace Urumi.Functions.Tests.Support;

/// <summary>
/// Records every helm the control plane runs, orphans included: the control plane's helm path points at a wrapper
/// script that writes "start PID NANOS ARGS" before starting the real helm and "end PID NANOS" after it exited
/// (forwarding SIGINT and SIGTERM to it), so each run's line interval holds the real helm's whole life. From that:
/// how many helm processes ran on one release at once, at most, and how many ran. A wrapper killed with SIGKILL
/// never writes its end: its helm counts as running to the end.
/// </summary>
public sealed class HelmProcesses : IDisposable
{
    private readonly string _directory;
    private readonly string _log;

    private HelmProcesses(string realHelm)
    {
        _directory = Directory.CreateTempSubdirectory("urumi-helm-record-").FullName;
        _log = System.IO.Path.Combine(_directory, "runs.log");
        Path = System.IO.Path.Combine(_directory, "helm");
        File.WriteAllText(Path, $$"""
            #!/usr/bin/env bash
            echo "start $$ $(date +%s%N) $*" >> '{{_log}}'
            '{{realHelm}}' "$@" &
            child=$!
            trap 'kill -INT $child 2>/dev/null' INT
            trap 'kill -TERM $child 2>/dev/null' TERM
            while :; do
              wait $child
              rc=$?
              kill -0 $child 2>/dev/null || break
            done
            echo "end $$ $(date +%s%N)" >> '{{_log}}'
            exit $rc

            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>A recorder in front of <paramref name="realHelm"/>; give the control plane its <see cref="Path"/> as Urumi:Helm:Path.</summary>
    public static HelmProcesses Record(string realHelm) => new(realHelm);

    /// <summary>The wrapper to run instead of helm.</summary>
    public string Path { get; }

    /// <summary>The runs on <paramref name="release"/> (`upgrade --install` or `uninstall` of it): start and end (null: still running).</summary>
    public IReadOnlyList<(long Start, long? End, string Command)> Runs(string release)
    {
        var lines = File.Exists(_log) ? File.ReadAllLines(_log) : [];
        var ends = lines.Select(l => l.Split(' ')).Where(p => p is ["end", _, _]).ToDictionary(p => p[1], p => long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture));
        return lines.Select(l => l.Split(' '))
            .Where(p => p.Length > 3 && p[0] == "start" && IsOn(p[3..], release))
            .Select(p => (long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture), ends.TryGetValue(p[1], out var end) ? end : (long?)null, string.Join(' ', p[3..Math.Min(p.Length, 6)])))
            .ToList();
    }

    /// <summary>The most helm processes that ran on <paramref name="release"/> at one time.</summary>
    public int MostAtOnce(string release)
    {
        var points = Runs(release).SelectMany(r => new[] { (At: r.Start, Delta: 1), (At: r.End ?? long.MaxValue, Delta: -1) }).OrderBy(p => p.At).ThenBy(p => p.Delta);
        int current = 0, most = 0;
        foreach (var (_, delta) in points)
        {
            current += delta;
            most = Math.Max(most, current);
        }
        return most;
    }

    /// <summary>The runs on <paramref name="release"/>, one a line, for a failure message.</summary>
    public string Describe(string release) => string.Join("\n", Runs(release).Select(r => $"{r.Start} .. {r.End?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "running"}: {r.Command}"));

    /// <summary>The helm processes on <paramref name="release"/> running on this machine now (from /proc), whoever started them.</summary>
    public static IReadOnlyList<int> Running(string release)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            string[] argv;
            try
            {
                argv = File.ReadAllText(System.IO.Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (argv.Length > 2 && System.IO.Path.GetFileName(argv[0]).StartsWith("helm", StringComparison.Ordinal) && IsOn(argv[1..], release))
            {
                found.Add(pid);
            }
        }
        return found;
    }

    private static bool IsOn(string[] args, string release) =>
        args is ["upgrade", "--install", var installed, ..] && installed == release
        || args is ["uninstall", var uninstalled, ..] && uninstalled == release;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

namespace Urumi.Hosting;

/// <summary>
/// Crash points for reliability tests, off unless URUMI_FAILPOINTS is set: e.g.
/// <c>URUMI_FAILPOINTS=stores.beforeStart=2</c> ends the process at once (as kill -9 would) the second time it passes
/// that point. The points are named where they are placed.
/// </summary>
public static class FailPoints
{
    private static readonly Dictionary<string, int> Armed = Parse(Environment.GetEnvironmentVariable("URUMI_FAILPOINTS"));
    private static readonly Dictionary<string, int> Hits = [];

    public static void Hit(string name)
    {
        if (Armed.Count == 0 || !Armed.TryGetValue(name, out var at))
        {
            return;
        }
        lock (Hits)
        {
            Hits[name] = Hits.GetValueOrDefault(name) + 1;
            if (Hits[name] != at)
            {
                return;
            }
        }
        Console.Error.WriteLine($"failpoint {name} hit {at} time(s): killing the process");
        Console.Error.Flush();
        Environment.FailFast($"failpoint {name}");
    }

    private static Dictionary<string, int> Parse(string? spec) =>
        (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('='))
            .ToDictionary(p => p[0], p => p.Length > 1 && int.TryParse(p[1], out var n) ? n : 1);
}

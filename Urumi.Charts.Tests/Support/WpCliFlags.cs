using System.Text.RegularExpressions;

namespace Urumi.Charts.Tests.Support;

/// <summary>
/// The documented flags of each WP-CLI command the WooCommerce setup script uses (WooCommerce/wp-cli-flags.tsv),
/// and a checker that finds every `wp` call in a shell script and the flags it passes.
/// </summary>
public sealed partial class WpCliFlags
{
    private const string Global = "(global)";
    private readonly Dictionary<string, HashSet<string>> _flags;

    private WpCliFlags(Dictionary<string, HashSet<string>> flags) => _flags = flags;

    public static WpCliFlags Load()
    {
        var table = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "WooCommerce", "wp-cli-flags.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .ToDictionary(
                columns => columns[0],
                columns => columns[1] == "-" ? [] : columns[1].Split(' ').ToHashSet(StringComparer.Ordinal),
                StringComparer.Ordinal);
        return new WpCliFlags(table);
    }

    /// <summary>One problem per undocumented command or flag, naming the call; none when every call is documented.</summary>
    public IEnumerable<string> Problems(string script)
    {
        foreach (var call in Calls(script))
        {
            var words = call.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).TakeWhile(w => Word().IsMatch(w)).ToList();
            var command = Enumerable.Range(0, words.Count + 1).Reverse()
                .Select(n => string.Join(' ', words.Take(n)))
                .FirstOrDefault(c => c.Length == 0 || _flags.ContainsKey(c));
            if (command is null || (command.Length == 0 && words.Count > 0))
            {
                yield return $"`wp {call}`: the command is not in the table of documented commands";
                continue;
            }
            foreach (var flag in Flag().Matches(call).Select(m => m.Groups[1].Value))
            {
                var documented = _flags[Global].Contains(flag) || (command.Length > 0 && _flags[command].Contains(flag));
                if (!documented)
                {
                    yield return $"`wp {call}`: --{flag} is not a documented flag of `wp {command}` or a global one";
                }
            }
        }
    }

    /// <summary>What follows each `wp` in command position, up to the end of that command.</summary>
    public static IEnumerable<string> Calls(string script)
    {
        var joined = script.Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (Match match in Call().Matches(joined))
        {
            yield return match.Groups[1].Value.Trim();
        }
    }

    // wp at the start of a command: line start, after if/then/else/!/||/&&/;/$( or `command`; up to ) ; | & < or the end.
    [GeneratedRegex(@"(?:^|[;&|(]|\bif|\bthen|\belse|!|\bcommand)[ \t]*\bwp\b(?![(-])([^;&|<)\n]*)", RegexOptions.Multiline)]
    private static partial Regex Call();

    [GeneratedRegex("^[a-z_-]+$")]
    private static partial Regex Word();

    [GeneratedRegex(@"(?<=\s|^)--([a-z][a-z0-9_-]*)")]
    private static partial Regex Flag();
}

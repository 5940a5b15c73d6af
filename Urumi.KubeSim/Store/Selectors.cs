using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Store;

/// <summary>A label selector in the string form of list and watch requests: =, ==, !=, in, notin, key, !key.</summary>
public sealed class LabelSelector
{
    private readonly List<Func<JsonObject?, bool>> _requirements = [];

    public static readonly LabelSelector Everything = new();

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            selector._requirements.Add(ParseTerm(term, text));
        }

        return selector;
    }

    /// <summary>Builds a selector from a LabelSelector object (matchLabels and matchExpressions).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        var result = new LabelSelector();
        if (selector is null)
        {
            return result;
        }

        if (selector["matchLabels"] is JsonObject matchLabels)
        {
            foreach (var (key, value) in matchLabels)
            {
                var expected = value?.GetValue<string>();
                result._requirements.Add(labels => Value(labels, key) == expected);
            }
        }

        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var expression in expressions.OfType<JsonObject>())
            {
                var key = (string)expression["key"]!;
                var values = (expression["values"] as JsonArray)?.Select(v => (string?)v).ToHashSet() ?? [];
                result._requirements.Add(((string?)expression["operator"]) switch
                {
                    "In" => labels => Value(labels, key) is { } v && values.Contains(v),
                    "NotIn" => labels => Value(labels, key) is not { } v || !values.Contains(v),
                    "Exists" => labels => Value(labels, key) is not null,
                    "DoesNotExist" => labels => Value(labels, key) is null,
                    var op => throw StatusException.BadRequest($"\"{op}\" is not a valid label selector operator"),
                });
            }
        }

        return result;
    }

    public bool Matches(JsonObject? labels) => _requirements.All(r => r(labels));

    public bool MatchesObject(JsonObject obj) => Matches(obj["metadata"]?["labels"] as JsonObject);

    private static string? Value(JsonObject? labels, string key) => labels?[key]?.GetValue<string>();

    private static Func<JsonObject?, bool> ParseTerm(string term, string whole)
    {
        if (term.StartsWith('!'))
        {
            var key = term[1..].Trim();
            return labels => Value(labels, key) is null;
        }

        foreach (var (op, negate) in new[] { (" notin ", true), (" in ", false) })
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = term[..at].Trim();
                var set = term[(at + op.Length)..].Trim();
                if (!set.StartsWith('(') || !set.EndsWith(')'))
                {
                    throw StatusException.BadRequest($"unable to parse requirement: found '{set}', expected: '('");
                }

                var values = set[1..^1].Split(',', StringSplitOptions.TrimEntries).ToHashSet();
                return negate
                    ? labels => Value(labels, key) is not { } v || !values.Contains(v)
                    : labels => Value(labels, key) is { } v && values.Contains(v);
            }
        }

        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = term[..at].Trim();
                var value = term[(at + op.Length)..].Trim();
                return negate ? labels => Value(labels, key) != value : labels => Value(labels, key) == value;
            }
        }

        if (term.Any(c => c is ' ' or '(' or ')' or '<' or '>'))
        {
            throw StatusException.BadRequest($"unable to parse requirement: invalid label selector \"{whole}\"");
        }

        return labels => Value(labels, term) is not null;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }
}

/// <summary>A field selector: comma-separated path=value and path!=value terms over the object's fields.</summary>
public sealed class FieldSelector
{
    private readonly List<(string[] Path, string Value, bool Negate)> _terms = [];

    public bool IsEmpty => _terms.Count == 0;

    public static FieldSelector Parse(string? text)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var negate = raw.Contains("!=", StringComparison.Ordinal);
            var parts = raw.Split(negate ? "!=" : raw.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2)
            {
                throw StatusException.BadRequest($"invalid selector: '{text}'; can't understand '{raw}'");
            }

            selector._terms.Add((parts[0].Trim().Split('.'), parts[1].Trim(), negate));
        }

        return selector;
    }

    /// <summary>The value a term requires for metadata.name, when it pins one (used to answer with a single object).</summary>
    public string? RequiredName => _terms.FirstOrDefault(t => !t.Negate && t.Path is ["metadata", "name"]).Value;

    public bool Matches(JsonObject obj) => _terms.All(t =>
    {
        JsonNode? node = obj;
        foreach (var segment in t.Path)
        {
            node = node is JsonObject o ? o[segment] : null;
        }

        var actual = node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => node.ToJsonString(),
        };
        return (actual == t.Value) != t.Negate;
    });
}

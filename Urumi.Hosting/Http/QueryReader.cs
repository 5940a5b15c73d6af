using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Http;

/// <summary>
/// Reads a request's query string parameter by parameter and collects, per parameter, what is wrong with it, so a
/// route answers every malformed parameter with one 400 naming each (<see cref="Problem"/>). The rules are the same on
/// every route: a parameter that takes one value given twice is an error (never "the first one wins"), an empty or
/// over-long value is an error, a closed set is matched by name only (no numbers, no comma-joined flags), times are
/// ISO 8601, and a parameter the route does not take is an error (a typo is never ignored).
/// </summary>
public sealed partial class QueryReader(IQueryCollection query)
{
    /// <summary>The function key may come as ?code= on every route (see <see cref="FunctionKeys"/>).</summary>
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase) { "code" };

    public const int MaxLength = 200;

    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>The 400 naming every parameter that is wrong (unknown ones included), or null when all are right.</summary>
    public IResult? Problem
    {
        get
        {
            foreach (var name in query.Keys.Where(k => !_known.Contains(k)))
            {
                Errors[name] = [$"is not a parameter of this route (it takes {string.Join(", ", _known.Where(k => k != "code"))})"];
            }
            return Errors.Count == 0 ? null : Problems.Validation(Errors);
        }
    }

    /// <summary>The parameter's one value (null when absent); given twice, empty or too long, an error.</summary>
    public string? Single(string name, int maxLength = MaxLength)
    {
        _known.Add(name);
        var values = query[name];
        if (values.Count == 0)
        {
            return null;
        }
        if (values.Count > 1)
        {
            Errors[name] = [$"is given {values.Count} times; give it once"];
            return null;
        }
        return Checked(name, values[0], maxLength);
    }

    /// <summary>Every value of a parameter that takes several: repeated (?a=x&amp;a=y) or comma-separated (?a=x,y).</summary>
    public IReadOnlyList<string> Many(string name, int maxLength = MaxLength)
    {
        _known.Add(name);
        var values = new List<string>();
        foreach (var value in query[name])
        {
            if (Checked(name, value, maxLength) is not { } text)
            {
                return [];
            }
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Any(p => p.Length == 0))
            {
                Errors[name] = ["has an empty item in its comma-separated list"];
                return [];
            }
            values.AddRange(parts);
        }
        return values.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="absent"/>.</summary>
    public int Int(string name, int absent, int min, int max, string? unit = null)
    {
        if (Single(name) is not { } text)
        {
            return absent;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        Errors[name] = [$"must be a whole number{(unit is null ? "" : " of " + unit)} from {min} to {max}"];
        return absent;
    }

    /// <summary>An ISO 8601 date or time (2026-11-23, 2026-11-23T10:00:00Z), UTC unless it has an offset.</summary>
    public DateTimeOffset? Time(string name)
    {
        if (Single(name) is not { } text)
        {
            return null;
        }
        if (IsoTime().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            && value.Year is >= 1970 and <= 9998)
        {
            return value;
        }
        Errors[name] = ["must be an ISO 8601 time from 1970 to 9998 such as 2026-11-23T10:00:00Z"];
        return null;
    }

    /// <summary>A member of a closed set, by its name (any case); numbers and lists are not names.</summary>
    public T? Enum<T>(string name) where T : struct, Enum =>
        Single(name) is { } text ? Member<T>(name, text) : null;

    /// <summary>Members of a closed set, repeated or comma-separated (see <see cref="Many"/>), meaning any of them.</summary>
    public IReadOnlyList<T> Enums<T>(string name) where T : struct, Enum
    {
        var members = new List<T>();
        foreach (var text in Many(name))
        {
            if (Member<T>(name, text) is not { } member)
            {
                return [];
            }
            members.Add(member);
        }
        return members;
    }

    /// <summary>One of <paramref name="allowed"/>, exactly as written.</summary>
    public string? OneOf(string name, IReadOnlyCollection<string> allowed)
    {
        var text = Single(name);
        if (text is not null && !allowed.Contains(text, StringComparer.Ordinal))
        {
            Errors[name] = [$"must be one of {string.Join(", ", allowed)}"];
            return null;
        }
        return text;
    }

    private T? Member<T>(string name, string text) where T : struct, Enum
    {
        var names = System.Enum.GetNames<T>();
        if (names.FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } found)
        {
            return System.Enum.Parse<T>(found);
        }
        Errors[name] = [$"'{Shown(text)}' is not one of {string.Join(", ", names)}"];
        return null;
    }

    private string? Checked(string name, string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            Errors[name] = ["must not be empty"];
            return null;
        }
        if (value.Length > maxLength)
        {
            Errors[name] = [$"must be at most {maxLength} characters"];
            return null;
        }
        if (!RequestText.IsPrintable(value))
        {
            Errors[name] = ["must be printable text (no control characters, no broken UTF-8 or UTF-16)"];
            return null;
        }
        return value;
    }

    private static string Shown(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?\z")]
    private static partial Regex IsoTime();
}

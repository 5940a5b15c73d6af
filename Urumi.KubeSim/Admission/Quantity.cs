using System.Globalization;
using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Admission;

/// <summary>Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G", "1e3") as decimals in base units.</summary>
public static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1000m), ("M", 1000_000m), ("G", 1000_000_000m),
        ("T", 1000_000_000_000m), ("P", 1000_000_000_000_000m), ("E", 1000_000_000_000_000_000m),
    ];

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        foreach (var (suffix, factor) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && decimal.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                value = number * factor;
                return true;
            }
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            value = plain;
            return true;
        }

        return false;
    }

    public static decimal Parse(JsonNode? node) => node switch
    {
        null => 0,
        JsonValue v when v.TryGetValue<string>(out var s) => TryParse(s, out var q) ? q : 0,
        JsonValue v when v.TryGetValue<decimal>(out var d) => d,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var f) => (decimal)f,
        _ => 0,
    };

    /// <summary>Formats as the API server's canonical form: millicores for fractions, binary suffixes for exact multiples.</summary>
    public static string Format(decimal value)
    {
        if (value == 0)
        {
            return "0";
        }

        if (value != decimal.Truncate(value))
        {
            var milli = value * 1000;
            return milli == decimal.Truncate(milli)
                ? ((long)milli).ToString(CultureInfo.InvariantCulture) + "m"
                : value.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (suffix, factor) in Suffixes.Where(s => s.Suffix.EndsWith('i')).Reverse())
        {
            if (value >= factor && value % factor == 0)
            {
                return (value / factor).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return value.ToString(CultureInfo.InvariantCulture);
    }
}

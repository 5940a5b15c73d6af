using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Urumi.Functions.Configuration;

/// <summary>
/// Reads a duration setting in either form an operator writes one: Kubernetes and Go (`90s`, `10m`, `1h30m`,
/// `1.5h`, `250ms`, as helm's --timeout and the charts take them) or .NET (`00:10:00`, `1.02:00:00`).
/// Registered once for <see cref="TimeSpan"/> (<see cref="Register"/>), so every TimeSpan setting the
/// configuration binder reads accepts both.
/// </summary>
public sealed partial class DurationConverter : TimeSpanConverter
{
    private static readonly Dictionary<string, double> TicksPerUnit = new(StringComparer.Ordinal)
    {
        ["h"] = TimeSpan.TicksPerHour,
        ["m"] = TimeSpan.TicksPerMinute,
        ["s"] = TimeSpan.TicksPerSecond,
        ["ms"] = TimeSpan.TicksPerMillisecond,
        ["us"] = TimeSpan.TicksPerMicrosecond,
        ["µs"] = TimeSpan.TicksPerMicrosecond,
        ["ns"] = 0.01,
    };

    private static int _registered;

    /// <summary>Makes this the converter of <see cref="TimeSpan"/> for the process; later calls do nothing.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(DurationConverter)));
        }
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? Parse(text) : base.ConvertFrom(context, culture, value);

    /// <summary>A Go duration (`1h30m`, `-90s`, `0`) or a .NET TimeSpan (`00:10:00`); FormatException names both forms.</summary>
    public static TimeSpan Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed == "0")
        {
            return TimeSpan.Zero;
        }
        var go = GoDuration().Match(trimmed);
        if (go.Success)
        {
            double ticks = 0;
            foreach (Capture part in go.Groups["part"].Captures)
            {
                var unit = UnitOf(part.Value);
                ticks += double.Parse(part.Value[..^unit.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * TicksPerUnit[unit];
            }
            return TimeSpan.FromTicks((long)Math.Round(go.Groups["sign"].Value == "-" ? -ticks : ticks));
        }
        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var dotnet))
        {
            return dotnet;
        }
        throw new FormatException($"'{text}' is not a duration: write it as Kubernetes does (90s, 10m, 1h30m) or as .NET does (00:10:00).");
    }

    private static string UnitOf(string part) =>
        part.EndsWith("ms", StringComparison.Ordinal) || part.EndsWith("us", StringComparison.Ordinal)
            || part.EndsWith("µs", StringComparison.Ordinal) || part.EndsWith("ns", StringComparison.Ordinal)
            ? part[^2..]
            : part[^1..];

    [GeneratedRegex(@"^(?<sign>[-+]?)(?<part>[0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h)|\.[0-9]+(ns|us|µs|ms|s|m|h))+\z", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();
}

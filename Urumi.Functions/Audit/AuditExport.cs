using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Urumi.Functions.Audit;

/// <summary>The formats /api/audit answers in: JSON (default), CSV and NDJSON (one event per line) for export.</summary>
public enum AuditFormat
{
    Json,
    Csv,
    Ndjson,
}

/// <summary>Audit events as CSV (RFC 4180) or NDJSON files.</summary>
public static class AuditExport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly string[] Columns =
        ["at", "endedAt", "storeId", "instanceId", "action", "kind", "step", "outcome", "error", "requestedBy", "clientIp"];

    public static string ToCsv(IEnumerable<AuditEvent> events)
    {
        var text = new StringBuilder().AppendJoin(',', Columns).Append("\r\n");
        foreach (var e in events)
        {
            string?[] cells = [Time(e.At), e.EndedAt is { } ended ? Time(ended) : null, e.StoreId, e.InstanceId, e.Action, e.Kind,
                e.Step, e.Outcome, e.Error, e.RequestedBy, e.ClientIp];
            text.AppendJoin(',', cells.Select(Cell)).Append("\r\n");
        }
        return text.ToString();
    }

    public static string ToNdjson(IEnumerable<AuditEvent> events) =>
        string.Concat(events.Select(e => JsonSerializer.Serialize(e, Json) + "\n"));

    /// <summary>A quoted cell when it needs one; a leading = + - @ is defused so a spreadsheet shows it as text.</summary>
    internal static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\r', '\n', '\'']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}

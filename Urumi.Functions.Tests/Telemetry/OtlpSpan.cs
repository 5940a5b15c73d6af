using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>
/// A span as OTLP carries it (opentelemetry/proto/trace/v1/trace.proto), read from an ExportTraceServiceRequest with a
/// minimal protobuf wire reader: only the fields the tests look at. <see cref="Texts"/> is every string the span
/// carries (name, attribute values, event names and attributes, status message), for the no-secret checks.
/// </summary>
public sealed record OtlpSpan(
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    ulong StartNanos,
    ulong EndNanos,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<string> Texts)
{
    public const int KindServer = 2;
    public const int KindClient = 3;
    public const int KindProducer = 4;

    public string? Attribute(string key) => Attributes.TryGetValue(key, out var v) ? v : null;

    public override string ToString() => $"{Name} [{Scope}] {SpanId}<-{ParentSpanId}";

    public static List<OtlpSpan> ParseExportRequest(byte[] body)
    {
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Wire.Fields(body))
        {
            if (field != 1)
            {
                continue;
            }
            foreach (var (f, scopeSpans) in Wire.Fields(resourceSpans.Bytes))
            {
                if (f != 2)
                {
                    continue;
                }
                var scope = "";
                foreach (var (g, value) in Wire.Fields(scopeSpans.Bytes))
                {
                    if (g == 1)
                    {
                        scope = Wire.Fields(value.Bytes).Where(x => x.Field == 1).Select(x => x.Value.Text).FirstOrDefault() ?? "";
                    }
                    else if (g == 2)
                    {
                        spans.Add(ParseSpan(scope, value.Bytes));
                    }
                }
            }
        }
        return spans;
    }

    private static OtlpSpan ParseSpan(string scope, byte[] bytes)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0;
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var texts = new List<string>();
        foreach (var (field, value) in Wire.Fields(bytes))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Bytes); break;
                case 2: spanId = Convert.ToHexStringLower(value.Bytes); break;
                case 4: parent = Convert.ToHexStringLower(value.Bytes); break;
                case 5: name = value.Text; texts.Add(name); break;
                case 6: kind = (int)value.Number; break;
                case 7: start = value.Number; break;
                case 8: end = value.Number; break;
                case 9:
                    var (key, text) = KeyValue(value.Bytes, texts);
                    attributes[key] = text;
                    break;
                case 11: // events: name (2) and attributes (3)
                    foreach (var (e, ev) in Wire.Fields(value.Bytes))
                    {
                        if (e == 2)
                        {
                            texts.Add(ev.Text);
                        }
                        else if (e == 3)
                        {
                            KeyValue(ev.Bytes, texts);
                        }
                    }
                    break;
                case 15: // status: message (2)
                    texts.AddRange(Wire.Fields(value.Bytes).Where(s => s.Field == 2).Select(s => s.Value.Text));
                    break;
            }
        }
        return new OtlpSpan(scope, traceId, spanId, parent, name, kind, start, end, attributes, texts);
    }

    /// <summary>A KeyValue: its key and its value as text (arrays and lists flattened); every string goes to <paramref name="texts"/>.</summary>
    private static (string Key, string Value) KeyValue(byte[] bytes, List<string> texts)
    {
        string key = "", value = "";
        foreach (var (field, v) in Wire.Fields(bytes))
        {
            if (field == 1)
            {
                key = v.Text;
                texts.Add(key);
            }
            else if (field == 2)
            {
                value = AnyValue(v.Bytes, texts);
            }
        }
        return (key, value);
    }

    private static string AnyValue(byte[] bytes, List<string> texts)
    {
        var parts = new List<string>();
        foreach (var (field, v) in Wire.Fields(bytes))
        {
            var text = field switch
            {
                1 => v.Text,
                2 => (v.Number != 0).ToString(),
                3 => ((long)v.Number).ToString(CultureInfo.InvariantCulture),
                4 => BitConverter.UInt64BitsToDouble(v.Number).ToString(CultureInfo.InvariantCulture),
                5 => string.Join(",", Wire.Fields(v.Bytes).Select(a => AnyValue(a.Value.Bytes, texts))),
                6 => string.Join(",", Wire.Fields(v.Bytes).Select(kv => string.Join("=", KeyValue(kv.Value.Bytes, texts)))),
                7 => Encoding.UTF8.GetString(v.Bytes),
                _ => "",
            };
            texts.Add(text);
            parts.Add(text);
        }
        return string.Join("", parts);
    }

    /// <summary>The protobuf wire format: varints, fixed 64 and 32 bit, length-delimited.</summary>
    private static class Wire
    {
        public readonly record struct Value(ulong Number, byte[] Bytes)
        {
            public string Text => Encoding.UTF8.GetString(Bytes);
        }

        public static IEnumerable<(int Field, Value Value)> Fields(byte[] data)
        {
            var position = 0;
            var fields = new List<(int, Value)>();
            while (position < data.Length)
            {
                var tag = Varint(data, ref position);
                var field = (int)(tag >> 3);
                switch (tag & 7)
                {
                    case 0:
                        fields.Add((field, new Value(Varint(data, ref position), [])));
                        break;
                    case 1:
                        fields.Add((field, new Value(BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(position, 8)), [])));
                        position += 8;
                        break;
                    case 2:
                        var length = (int)Varint(data, ref position);
                        fields.Add((field, new Value(0, data.AsSpan(position, length).ToArray())));
                        position += length;
                        break;
                    case 5:
                        fields.Add((field, new Value(BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position, 4)), [])));
                        position += 4;
                        break;
                    default:
                        throw new InvalidDataException($"unsupported protobuf wire type {tag & 7}");
                }
            }
            return fields;
        }

        private static ulong Varint(byte[] data, ref int position)
        {
            ulong result = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[position++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }
        }
    }
}

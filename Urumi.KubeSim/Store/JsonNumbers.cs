using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Store;

/// <summary>Reads a JSON number whatever backs the node (parsed JSON, or an int, long or double set in code).</summary>
public static class JsonNumbers
{
    public static long Long(JsonNode? node, long fallback = 0)
    {
        if (node is not JsonValue value)
        {
            return fallback;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        if (value.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n))
        {
            return n;
        }

        return value.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : fallback;
    }
}

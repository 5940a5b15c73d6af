using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask.Converters;

namespace Urumi.Hosting;

/// <summary>
/// JSON as the Functions isolated worker writes orchestration payloads by default (System.Text.Json's web defaults:
/// camelCase), so inputs, outputs and custom status read the same whichever host wrote them. Enums are written and
/// read by name only: a number in a payload is refused, not read as a member (or as a value outside the set).
/// </summary>
public static class WorkerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
    };

    public static JsonDataConverter Converter { get; } = new(Options);
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Urumi.Durable.Serialization;

/// <summary>Serializes inputs, outputs, events and custom status as JSON (camelCase, as the HTTP API shows them).</summary>
public sealed class JsonDataConverter
{
    public static JsonDataConverter Default { get; } = new();

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    public T? Deserialize<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, Options);

    public object? Deserialize(string? json, Type type) => json is null ? null : JsonSerializer.Deserialize(json, type, Options);
}

using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Urumi.Charts.Tests.Support;

/// <summary>One setting of a values file: its path of keys and its value.</summary>
public sealed record ValuesKey(IReadOnlyList<string> Path, JsonNode? Value)
{
    public string Name => string.Join('.', Path);

    public override string ToString() => Name;
}

/// <summary>Reads the settings of a values file and makes a changed value the chart's schema still accepts.</summary>
public static partial class ValuesFile
{
    /// <summary>Every leaf of the file: scalars and lists; maps are walked into.</summary>
    public static IReadOnlyList<ValuesKey> Keys(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }
        var keys = new List<ValuesKey>();
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
        {
            Walk(root, [], keys);
        }
        return keys;
    }

    private static void Walk(YamlMappingNode map, List<string> path, List<ValuesKey> keys)
    {
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var here = new List<string>(path) { ((YamlScalarNode)keyNode).Value! };
            switch (valueNode)
            {
                case YamlMappingNode { Children.Count: > 0 } inner:
                    Walk(inner, here, keys);
                    break;
                case YamlMappingNode:
                    keys.Add(new ValuesKey(here, new JsonObject()));
                    break;
                case YamlSequenceNode list:
                    keys.Add(new ValuesKey(here, new JsonArray([.. list.Children.Select(c => Scalar((YamlScalarNode)c))])));
                    break;
                case YamlScalarNode scalar:
                    keys.Add(new ValuesKey(here, Scalar(scalar)));
                    break;
            }
        }
    }

    private static JsonNode? Scalar(YamlScalarNode node)
    {
        var text = node.Value ?? "";
        if (node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted)
        {
            return JsonValue.Create(text);
        }
        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }
        return text is "null" or "~" or "" ? null : JsonValue.Create(text);
    }

    /// <summary>A different value of the same type that the schema (enums, quantities) still accepts.</summary>
    public static JsonNode Changed(ValuesKey key, JsonObject schema)
    {
        var rule = SchemaAt(schema, key.Path);
        if (rule?["enum"] is JsonArray choices)
        {
            return choices.First(c => !JsonNode.DeepEquals(c, key.Value))!.DeepClone();
        }
        switch (key.Value)
        {
            case JsonArray { Count: > 1 } list:
                return new JsonArray([.. list.Take(list.Count - 1).Select(n => n?.DeepClone())]);
            case JsonObject:
                return new JsonObject { ["urumi.dev/changed"] = "yes" };
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                return JsonValue.Create(!flag);
            case JsonValue value when value.TryGetValue<long>(out var integer):
                return JsonValue.Create(integer + 1);
            case JsonValue value when value.TryGetValue<decimal>(out var number):
                return JsonValue.Create(number + 1);
            case JsonValue value when value.TryGetValue<string>(out var text):
                var quantity = Quantity().Match(text);
                return quantity.Success
                    ? JsonValue.Create((decimal.Parse(quantity.Groups[1].Value, CultureInfo.InvariantCulture) * 2).ToString(CultureInfo.InvariantCulture) + quantity.Groups[2].Value)
                    : JsonValue.Create(text.Length == 0 ? "changed" : "x" + text);
            default:
                throw new InvalidOperationException($"{key.Name}: no way to change {key.Value?.ToJsonString() ?? "null"}");
        }
    }

    /// <summary>An override file that sets one key: JSON is YAML, so helm reads it with -f.</summary>
    public static JsonObject Override(ValuesKey key, JsonNode value)
    {
        var root = new JsonObject();
        var map = root;
        foreach (var segment in key.Path.Take(key.Path.Count - 1))
        {
            var inner = new JsonObject();
            map[segment] = inner;
            map = inner;
        }
        map[key.Path[^1]] = value;
        return root;
    }

    private static JsonObject? SchemaAt(JsonObject schema, IReadOnlyList<string> path)
    {
        JsonObject? node = schema;
        foreach (var segment in path)
        {
            node = Resolve(schema, node)?["properties"]?[segment] as JsonObject;
        }
        return Resolve(schema, node);
    }

    private static JsonObject? Resolve(JsonObject schema, JsonObject? node) =>
        node?["$ref"]?.GetValue<string>() is { } reference && reference.StartsWith("#/definitions/", StringComparison.Ordinal)
            ? Resolve(schema, schema["definitions"]?[reference["#/definitions/".Length..]] as JsonObject)
            : node;

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti|s|h)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Quantity();
}

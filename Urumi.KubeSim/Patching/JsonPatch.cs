using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Patching;

/// <summary>RFC 6902 JSON patch: add, remove, replace, move, copy, test.</summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["$"] = document.DeepClone() };
        foreach (var op in operations.OfType<JsonObject>())
        {
            var kind = (string?)op["op"] ?? throw StatusException.BadRequest("the JSON patch operation has no \"op\"");
            var path = (string?)op["path"] ?? throw StatusException.BadRequest($"the JSON patch operation \"{kind}\" has no \"path\"");
            switch (kind)
            {
                case "add":
                    Add(root, path, op["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(root, path);
                    break;
                case "replace":
                    Remove(root, path);
                    Add(root, path, op["value"]?.DeepClone());
                    break;
                case "move":
                    {
                        var from = (string)op["from"]!;
                        var value = Get(root, from);
                        Remove(root, from);
                        Add(root, path, value);
                        break;
                    }

                case "copy":
                    Add(root, path, Get(root, (string)op["from"]!)?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                    {
                        throw new StatusException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw StatusException.BadRequest($"unexpected JSON patch operation \"{kind}\"");
            }
        }

        return root["$"]!.DeepClone();
    }

    private static string[] Segments(string path) => path.Length == 0
        ? ["$"]
        : ["$", .. path.Split('/').Skip(1).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var segment in Segments(path))
        {
            node = Child(node, segment, path);
        }

        return node;
    }

    private static JsonNode? Child(JsonNode? node, string segment, string path) => node switch
    {
        JsonObject o when o.ContainsKey(segment) => o[segment],
        JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
        _ => throw new StatusException(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\": missing value"),
    };

    private static (JsonNode Parent, string Last) Parent(JsonObject root, string path)
    {
        var segments = Segments(path);
        JsonNode? node = root;
        foreach (var segment in segments[..^1])
        {
            node = Child(node, segment, path);
        }

        return (node!, segments[^1]);
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new StatusException(422, "Invalid", $"the server rejected our request due to an error in our request: add operation does not apply: doc is missing path: \"{path}\"");
        }
    }

    private static void Remove(JsonObject root, string path)
    {
        var (parent, last) = Parent(root, path);
        var removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw new StatusException(422, "Invalid", $"the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }
}

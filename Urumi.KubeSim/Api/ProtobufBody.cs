using System.Text;
using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Api;

/// <summary>
/// Decodes the protobuf request bodies client-go sends for typed clients (Helm's release Secrets and DeleteOptions):
/// the magic "k8s\0", a runtime.Unknown {typeMeta, raw}, and inside raw the object in the Kubernetes proto schema.
/// Understood: Secret, ConfigMap, Namespace and DeleteOptions (what Helm and kubectl send this way); others answer 415.
/// </summary>
public static class ProtobufBody
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4 || !body[..4].SequenceEqual(Magic))
        {
            throw StatusException.BadRequest("the protobuf body does not start with the k8s magic number");
        }

        string? apiVersion = null, kind = null;
        ReadOnlyMemory<byte> raw = default;
        foreach (var field in Fields(body[4..].ToArray()))
        {
            switch (field.Number)
            {
                case 1:
                    foreach (var tm in Fields(field.Bytes))
                    {
                        if (tm.Number == 1) { apiVersion = tm.String; }
                        else if (tm.Number == 2) { kind = tm.String; }
                    }

                    break;
                case 2:
                    raw = field.Bytes;
                    break;
            }
        }

        var obj = kind switch
        {
            "Secret" => Secret(raw),
            "DeleteOptions" => DeleteOptions(raw),
            "ConfigMap" => ConfigMap(raw),
            "Namespace" => Namespace(raw),
            _ => throw StatusException.UnsupportedMediaType($"application/vnd.kubernetes.protobuf ({apiVersion}/{kind})"),
        };
        obj["apiVersion"] = apiVersion ?? "v1";
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject Secret(ReadOnlyMemory<byte> raw)
    {
        var secret = new JsonObject();
        var data = new JsonObject();
        var stringData = new JsonObject();
        foreach (var f in Fields(raw))
        {
            switch (f.Number)
            {
                case 1: secret["metadata"] = ObjectMeta(f.Bytes); break;
                case 2:
                    {
                        var (key, value) = MapEntry(f.Bytes);
                        data[Encoding.UTF8.GetString(key.Span)] = System.Convert.ToBase64String(value.Span);
                        break;
                    }

                case 3: secret["type"] = f.String; break;
                case 4:
                    {
                        var (key, value) = MapEntry(f.Bytes);
                        stringData[Encoding.UTF8.GetString(key.Span)] = Encoding.UTF8.GetString(value.Span);
                        break;
                    }

                case 5: secret["immutable"] = f.Varint != 0; break;
            }
        }

        if (data.Count > 0) { secret["data"] = data; }
        if (stringData.Count > 0) { secret["stringData"] = stringData; }
        return secret;
    }

    private static JsonObject ConfigMap(ReadOnlyMemory<byte> raw)
    {
        var configMap = new JsonObject();
        var data = new JsonObject();
        var binary = new JsonObject();
        foreach (var f in Fields(raw))
        {
            switch (f.Number)
            {
                case 1: configMap["metadata"] = ObjectMeta(f.Bytes); break;
                case 2:
                    {
                        var (key, value) = MapEntry(f.Bytes);
                        data[Encoding.UTF8.GetString(key.Span)] = Encoding.UTF8.GetString(value.Span);
                        break;
                    }

                case 3:
                    {
                        var (key, value) = MapEntry(f.Bytes);
                        binary[Encoding.UTF8.GetString(key.Span)] = System.Convert.ToBase64String(value.Span);
                        break;
                    }
            }
        }

        if (data.Count > 0) { configMap["data"] = data; }
        if (binary.Count > 0) { configMap["binaryData"] = binary; }
        return configMap;
    }

    private static JsonObject Namespace(ReadOnlyMemory<byte> raw)
    {
        var ns = new JsonObject();
        foreach (var f in Fields(raw))
        {
            if (f.Number == 1)
            {
                ns["metadata"] = ObjectMeta(f.Bytes);
            }
            else if (f.Number == 2)
            {
                var finalizers = new JsonArray();
                foreach (var spec in Fields(f.Bytes).Where(s => s.Number == 1))
                {
                    finalizers.Add(spec.String);
                }

                ns["spec"] = new JsonObject { ["finalizers"] = finalizers };
            }
        }

        return ns;
    }

    private static JsonObject DeleteOptions(ReadOnlyMemory<byte> raw)
    {
        var options = new JsonObject();
        foreach (var f in Fields(raw))
        {
            switch (f.Number)
            {
                case 1: options["gracePeriodSeconds"] = (long)f.Varint; break;
                case 2:
                    {
                        var preconditions = new JsonObject();
                        foreach (var p in Fields(f.Bytes))
                        {
                            preconditions[p.Number == 1 ? "uid" : "resourceVersion"] = p.String;
                        }

                        options["preconditions"] = preconditions;
                        break;
                    }

                case 3: options["orphanDependents"] = f.Varint != 0; break;
                case 4: options["propagationPolicy"] = f.String; break;
                case 5: (options["dryRun"] as JsonArray ?? (JsonArray)(options["dryRun"] = new JsonArray())).Add(f.String); break;
            }
        }

        return options;
    }

    private static JsonObject ObjectMeta(ReadOnlyMemory<byte> raw)
    {
        var meta = new JsonObject();
        foreach (var f in Fields(raw))
        {
            switch (f.Number)
            {
                case 1: meta["name"] = f.String; break;
                case 2: meta["generateName"] = f.String; break;
                case 3: meta["namespace"] = f.String; break;
                case 5: meta["uid"] = f.String; break;
                case 6: meta["resourceVersion"] = f.String; break;
                case 7: meta["generation"] = (long)f.Varint; break;
                case 11:
                case 12:
                    {
                        var name = f.Number == 11 ? "labels" : "annotations";
                        var map = meta[name] as JsonObject ?? (JsonObject)(meta[name] = new JsonObject());
                        var (key, value) = MapEntry(f.Bytes);
                        map[Encoding.UTF8.GetString(key.Span)] = Encoding.UTF8.GetString(value.Span);
                        break;
                    }

                case 13:
                    {
                        var owners = meta["ownerReferences"] as JsonArray ?? (JsonArray)(meta["ownerReferences"] = new JsonArray());
                        owners.Add(OwnerReference(f.Bytes));
                        break;
                    }

                case 14:
                    (meta["finalizers"] as JsonArray ?? (JsonArray)(meta["finalizers"] = new JsonArray())).Add(f.String);
                    break;
            }
        }

        return meta;
    }

    private static JsonObject OwnerReference(ReadOnlyMemory<byte> raw)
    {
        var owner = new JsonObject();
        foreach (var f in Fields(raw))
        {
            switch (f.Number)
            {
                case 1: owner["kind"] = f.String; break;
                case 3: owner["name"] = f.String; break;
                case 4: owner["uid"] = f.String; break;
                case 5: owner["apiVersion"] = f.String; break;
                case 6: owner["controller"] = f.Varint != 0; break;
                case 7: owner["blockOwnerDeletion"] = f.Varint != 0; break;
            }
        }

        return owner;
    }

    private static (ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value) MapEntry(ReadOnlyMemory<byte> raw)
    {
        ReadOnlyMemory<byte> key = default, value = default;
        foreach (var f in Fields(raw))
        {
            if (f.Number == 1) { key = f.Bytes; }
            else if (f.Number == 2) { value = f.Bytes; }
        }

        return (key, value);
    }

    private readonly record struct Field(int Number, ulong Varint, ReadOnlyMemory<byte> Bytes)
    {
        public string String => Encoding.UTF8.GetString(Bytes.Span);
    }

    private static List<Field> Fields(ReadOnlyMemory<byte> buffer)
    {
        var fields = new List<Field>();
        var span = buffer.Span;
        var i = 0;
        while (i < span.Length)
        {
            var tag = ReadVarint(span, ref i);
            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    fields.Add(new Field(number, ReadVarint(span, ref i), default));
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    {
                        var length = (int)ReadVarint(span, ref i);
                        if (length < 0 || i + length > span.Length)
                        {
                            throw StatusException.BadRequest("the protobuf body is truncated");
                        }

                        fields.Add(new Field(number, 0, buffer.Slice(i, length)));
                        i += length;
                        break;
                    }

                case 5:
                    i += 4;
                    break;
                default:
                    throw StatusException.BadRequest("the protobuf body has an unknown wire type");
            }
        }

        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int i)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= span.Length)
            {
                throw StatusException.BadRequest("the protobuf body is truncated");
            }

            var b = span[i++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw StatusException.BadRequest("the protobuf body has a malformed varint");
    }
}

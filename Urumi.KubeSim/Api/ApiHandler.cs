using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Api;

/// <summary>Serves the Kubernetes REST surface: discovery, OpenAPI, and the verbs on every resource of the catalog.</summary>
public sealed class ApiHandler(Cluster cluster, string serverAddress)
{
    // The API server escapes only what JSON requires ("\"" rather than "\u0022"), and so do we.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const int MaxBodyBytes = 3 * 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context);
        }
        catch (StatusException e)
        {
            await WriteStatusAsync(context, e);
        }
        catch (JsonException e)
        {
            await WriteStatusAsync(context, StatusException.BadRequest($"the body of the request could not be decoded as JSON: {e.Message}"));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A bug in KubeSim: answer as the API server answers its own panics, and say so on stderr.
            Console.Error.WriteLine($"kubesim: {context.Request.Method} {context.Request.Path}{context.Request.QueryString} failed: {e}");
            await WriteStatusAsync(context, new StatusException(500, "InternalError", $"Internal error occurred: {e.Message}"));
        }
    }

    private async Task RouteAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        var accept = context.Request.Headers.Accept.ToString();

        if (segments is ["version"])
        {
            await WriteJsonAsync(context, 200, Discovery.Version(cluster.Options.KubernetesVersion));
            return;
        }

        if (segments is ["healthz"] or ["livez"] or ["readyz"])
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("ok");
            return;
        }

        if (segments is ["openapi", "v3"])
        {
            await WriteJsonAsync(context, 200, Discovery.OpenApiIndex());
            return;
        }

        if (segments.Length > 2 && segments[0] == "openapi" && segments[1] == "v3")
        {
            var document = Discovery.OpenApiDocument(string.Join('/', segments[2..]));
            await (document is null ? NotFoundPageAsync(context) : WriteJsonAsync(context, 200, document));
            return;
        }

        if (segments is ["api"])
        {
            if (Discovery.WantsAggregated(accept))
            {
                await WriteJsonAsync(context, 200, Discovery.Aggregated(core: true), Discovery.AggregatedContentType);
            }
            else
            {
                await WriteJsonAsync(context, 200, Discovery.CoreVersions(serverAddress));
            }

            return;
        }

        if (segments is ["apis"])
        {
            if (Discovery.WantsAggregated(accept))
            {
                await WriteJsonAsync(context, 200, Discovery.Aggregated(core: false), Discovery.AggregatedContentType);
            }
            else
            {
                await WriteJsonAsync(context, 200, Discovery.GroupList());
            }

            return;
        }

        string groupVersion;
        string[] rest;
        if (segments.Length >= 2 && segments[0] == "api" && segments[1] == "v1")
        {
            groupVersion = "v1";
            rest = segments[2..];
        }
        else if (segments.Length >= 3 && segments[0] == "apis" && ResourceCatalog.IsServedGroupVersion($"{segments[1]}/{segments[2]}"))
        {
            groupVersion = $"{segments[1]}/{segments[2]}";
            rest = segments[3..];
        }
        else if (segments.Length == 2 && segments[0] == "apis" && Discovery.GroupDocument(segments[1]) is { } group)
        {
            await WriteJsonAsync(context, 200, group);
            return;
        }
        else
        {
            await NotFoundPageAsync(context);
            return;
        }

        if (rest.Length == 0)
        {
            await WriteJsonAsync(context, 200, Discovery.ResourceList(groupVersion));
            return;
        }

        // Resource paths: {res}[/{name}[/{sub}]] or namespaces/{ns}/{res}[/{name}[/{sub}]].
        string? ns = null;
        string resource;
        string? name = null;
        string? subresource = null;
        if (groupVersion == "v1" && rest is ["namespaces", var nsName, "status" or "finalize"])
        {
            resource = "namespaces";
            name = nsName;
            subresource = rest[2];
        }
        else if (rest.Length >= 3 && rest[0] == "namespaces")
        {
            ns = rest[1];
            resource = rest[2];
            name = rest.Length > 3 ? rest[3] : null;
            subresource = rest.Length > 4 ? rest[4] : null;
            if (rest.Length > 5)
            {
                throw StatusException.ResourceNotFound();
            }
        }
        else
        {
            resource = rest[0];
            name = rest.Length > 1 ? rest[1] : null;
            subresource = rest.Length > 2 ? rest[2] : null;
            if (rest.Length > 3)
            {
                throw StatusException.ResourceNotFound();
            }
        }

        var type = ResourceCatalog.Find(groupVersion, resource) ?? throw StatusException.ResourceNotFound();
        if (ns is not null && !type.Namespaced)
        {
            throw StatusException.ResourceNotFound();
        }

        var statusOnly = false;
        if (subresource is not null)
        {
            if (subresource == "finalize" && type == ResourceCatalog.Namespaces)
            {
                statusOnly = false;
            }
            else if (subresource != "status" || !type.HasStatus)
            {
                throw StatusException.ResourceNotFound();
            }
            else
            {
                statusOnly = true;
            }
        }

        var actor = Actor(context);
        var query = context.Request.Query;
        var dryRun = query.ContainsKey("dryRun");
        switch (method)
        {
            case "GET" when name is null:
                if (IsTrue(query["watch"]))
                {
                    await WatchAsync(context, type, ns);
                }
                else
                {
                    await ListAsync(context, type, ns, accept);
                }

                break;
            case "GET":
                {
                    var obj = cluster.Get(type, ns, name);
                    if (accept.Contains("as=Table", StringComparison.Ordinal))
                    {
                        await WriteJsonAsync(context, 200, Tables.For(type, [obj], cluster.Store.ResourceVersion, cluster.Time.GetUtcNow()), "application/json;as=Table;v=v1;g=meta.k8s.io");
                    }
                    else
                    {
                        await WriteRawAsync(context, 200, obj);
                    }

                    break;
                }

            case "POST" when name is null:
                await WriteRawAsync(context, 201, cluster.Create(type, ns, await ReadObjectAsync(context), actor, dryRun));
                break;
            case "PUT" when name is not null:
                await WriteRawAsync(context, 200, cluster.Update(type, ns, name, await ReadObjectAsync(context), actor, statusOnly, dryRun));
                break;
            case "PATCH" when name is not null:
                {
                    var contentType = context.Request.ContentType ?? "";
                    var body = await ReadBodyAsync(context);
                    var text = Encoding.UTF8.GetString(body);
                    var patch = contentType.StartsWith("application/apply-patch", StringComparison.Ordinal)
                        ? (text.TrimStart().StartsWith('{') ? JsonNode.Parse(text) : YamlBody.Parse(text))
                        : JsonNode.Parse(text);
                    if (patch is null)
                    {
                        throw StatusException.BadRequest("the patch body is empty");
                    }

                    var (obj, created) = cluster.Patch(type, ns, name, contentType, patch, actor, statusOnly, query["fieldManager"].FirstOrDefault(), dryRun);
                    await WriteRawAsync(context, created ? 201 : 200, obj);
                    break;
                }

            case "DELETE" when name is not null:
                {
                    var body = await ReadBodyAsync(context);
                    JsonObject? options = body.Length == 0 ? null : ParseObject(context, body);
                    if (query["propagationPolicy"].FirstOrDefault() is { } policy)
                    {
                        options ??= [];
                        options["propagationPolicy"] = policy;
                    }

                    await WriteRawAsync(context, 200, cluster.Delete(type, ns, name, options, actor, dryRun));
                    break;
                }

            case "DELETE":
                {
                    var body = await ReadBodyAsync(context);
                    var options = body.Length == 0 ? null : ParseObject(context, body);
                    await WriteRawAsync(context, 200, cluster.DeleteCollection(type, ns, LabelSelector.Parse(query["labelSelector"]), FieldSelector.Parse(query["fieldSelector"]), options, actor));
                    break;
                }

            default:
                throw StatusException.MethodNotSupported(type, method.ToLowerInvariant());
        }
    }

    private async Task ListAsync(HttpContext context, ResourceType type, string? ns, string accept)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        List<JsonObject> items;
        long resourceVersion;
        lock (cluster.Store.Gate)
        {
            items = cluster.Store.List(type, ns, o => labels.MatchesObject(o) && fields.Matches(o));
            resourceVersion = cluster.Store.ResourceVersion;
        }

        var start = 0;
        if (query["continue"].FirstOrDefault() is { Length: > 0 } token)
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                throw StatusException.BadRequest("continue key is not valid: illegal base64 data");
            }

            start = items.FindIndex(o => string.CompareOrdinal(Key(o), after) > 0);
            if (start < 0)
            {
                start = items.Count;
            }
        }

        var limit = int.TryParse(query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var page = items.Skip(start).Take(limit).ToList();
        var remaining = items.Count - start - page.Count;
        if (accept.Contains("as=Table", StringComparison.Ordinal))
        {
            await WriteJsonAsync(context, 200, Tables.For(type, page, resourceVersion, cluster.Time.GetUtcNow()), "application/json;as=Table;v=v1;g=meta.k8s.io");
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, Writer);
        writer.WriteStartObject();
        writer.WriteString("kind", type.ListKind);
        writer.WriteString("apiVersion", type.GroupVersion);
        writer.WriteStartObject("metadata");
        writer.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
        if (remaining > 0)
        {
            writer.WriteString("continue", Convert.ToBase64String(Encoding.UTF8.GetBytes(Key(page[^1]))));
            writer.WriteNumber("remainingItemCount", remaining);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("items");
        foreach (var item in page)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private async Task WatchAsync(HttpContext context, ResourceType type, string? ns)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var sendInitial = IsTrue(query["sendInitialEvents"]);
        var rvText = query["resourceVersion"].FirstOrDefault();
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        if (sendInitial && query["resourceVersionMatch"].FirstOrDefault() != "NotOlderThan")
        {
            throw new StatusException(422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan");
        }

        long? since = null;
        if (!sendInitial && !string.IsNullOrEmpty(rvText) && rvText != "0")
        {
            since = long.TryParse(rvText, out var rv) ? rv : throw StatusException.BadRequest($"resourceVersion: Invalid value: \"{rvText}\": must be a number");
        }

        bool Matches(JsonObject? o) => o is not null
            && (ns is null || (string?)o["metadata"]?["namespace"] == ns)
            && labels.MatchesObject(o) && fields.Matches(o);

        List<JsonObject> initial = [];
        Watcher watcher;
        long startedAt;
        lock (cluster.Store.Gate)
        {
            watcher = cluster.Store.Watch(e => e.Type == type && (Matches(e.Object) || Matches(e.Previous)), since, out startedAt);
            if (since is null)
            {
                initial = cluster.Store.List(type, ns, o => labels.MatchesObject(o) && fields.Matches(o));
            }
        }

        using var subscription = watcher;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeoutSource.CancelAfter(timeout);
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(context.RequestAborted);
        foreach (var obj in initial)
        {
            await WriteEventAsync(response, "ADDED", obj, context.RequestAborted);
        }

        if (sendInitial)
        {
            var bookmark = new JsonObject
            {
                ["kind"] = type.Kind,
                ["apiVersion"] = type.GroupVersion,
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = startedAt.ToString(CultureInfo.InvariantCulture),
                    ["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" },
                },
            };
            await WriteEventAsync(response, "BOOKMARK", bookmark, context.RequestAborted);
        }

        await response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await foreach (var e in watcher.Events.ReadAllAsync(timeoutSource.Token))
            {
                var eventType = e.EventType;
                if (eventType == "MODIFIED")
                {
                    var now = Matches(e.Object);
                    var before = Matches(e.Previous);
                    eventType = now && !before ? "ADDED" : !now && before ? "DELETED" : eventType;
                }

                await WriteEventAsync(response, eventType, e.Object, timeoutSource.Token);
                if (!watcher.Events.TryPeek(out _))
                {
                    await response.Body.FlushAsync(timeoutSource.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonObject obj, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, Writer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            obj.WriteTo(writer);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellation);
    }

    private static string Key(JsonObject obj) => $"{(string?)obj["metadata"]?["namespace"]}/{(string?)obj["metadata"]?["name"]}";

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) => value.FirstOrDefault() is "true" or "1";

    private static string Actor(HttpContext context)
    {
        var agent = context.Request.Headers.UserAgent.ToString();
        return agent.Length == 0 ? "unknown" : agent;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new StatusException(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
            }
        }

        return buffer.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context) => ParseObject(context, await ReadBodyAsync(context));

    private static JsonObject ParseObject(HttpContext context, byte[] body)
    {
        var contentType = context.Request.ContentType ?? "application/json";
        if (contentType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.Ordinal))
        {
            return ProtobufBody.Decode(body);
        }

        if (contentType.StartsWith("application/yaml", StringComparison.Ordinal))
        {
            return YamlBody.Parse(Encoding.UTF8.GetString(body)) as JsonObject ?? throw StatusException.BadRequest("the body must be an object");
        }

        if (!contentType.StartsWith("application/json", StringComparison.Ordinal) && !contentType.StartsWith("*/*", StringComparison.Ordinal))
        {
            throw StatusException.UnsupportedMediaType(contentType);
        }

        return JsonNode.Parse(body) as JsonObject ?? throw StatusException.BadRequest("the body must be a JSON object");
    }

    private static async Task WriteRawAsync(HttpContext context, int status, JsonObject obj)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, Writer);
        obj.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    private static Task WriteJsonAsync(HttpContext context, int status, JsonNode body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body.ToJsonString(Compact), context.RequestAborted);
    }

    internal static Task WriteStatusAsync(HttpContext context, StatusException e)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (e.Code == 429)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return WriteJsonAsync(context, e.Code, e.ToStatus());
    }

    private static Task NotFoundPageAsync(HttpContext context)
    {
        context.Response.StatusCode = 404;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("404 page not found\n");
    }
}

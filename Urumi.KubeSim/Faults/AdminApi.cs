using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Faults;

/// <summary>
/// KubeSim's own endpoints, beside the Kubernetes API:
/// GET /_kubesim/operations (verb, resource, namespace, name, actor, since filters);
/// GET and DELETE /_kubesim/faults; POST /_kubesim/faults/pods, /api, /latency and /stuck-namespaces.
/// </summary>
public sealed class AdminApi(Cluster cluster)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            var path = context.Request.Path.Value!.TrimEnd('/');
            var method = context.Request.Method;
            switch (method, path)
            {
                case ("GET", "/_kubesim/operations"):
                    await WriteAsync(context, 200, Operations(context.Request.Query));
                    break;
                case ("GET", "/_kubesim/faults"):
                    await WriteAsync(context, 200, cluster.Faults.Describe());
                    break;
                case ("DELETE", "/_kubesim/faults"):
                    cluster.Faults.Clear();
                    await WriteAsync(context, 200, cluster.Faults.Describe());
                    break;
                case ("POST", "/_kubesim/faults/pods"):
                    {
                        var fault = await ReadAsync<PodFault>(context);
                        cluster.Faults.FailPods(fault);
                        await WriteAsync(context, 201, cluster.Faults.Describe());
                        break;
                    }

                case ("POST", "/_kubesim/faults/api"):
                    {
                        var fault = await ReadAsync<ApiFault>(context);
                        if (fault.Count is null && fault.Rate is null)
                        {
                            throw StatusException.BadRequest("an API fault needs a count (the next N matching requests) or a rate (0..1)");
                        }

                        cluster.Faults.FailRequests(fault);
                        await WriteAsync(context, 201, cluster.Faults.Describe());
                        break;
                    }

                case ("POST", "/_kubesim/faults/latency"):
                    {
                        var body = await ReadAsync<LatencyBody>(context);
                        cluster.Faults.AddLatency(new LatencyFault(TimeSpan.FromMilliseconds(body.DelayMs), body.Verb, body.PathContains));
                        await WriteAsync(context, 201, cluster.Faults.Describe());
                        break;
                    }

                case ("POST", "/_kubesim/faults/stuck-namespaces"):
                    {
                        var body = await ReadAsync<StuckBody>(context);
                        if (string.IsNullOrEmpty(body.Namespace))
                        {
                            throw StatusException.BadRequest("namespace is required");
                        }

                        cluster.StickNamespace(body.Namespace);
                        await WriteAsync(context, 201, cluster.Faults.Describe());
                        break;
                    }

                default:
                    throw new StatusException(404, "NotFound", $"no KubeSim endpoint {method} {path}");
            }
        }
        catch (StatusException e)
        {
            await ApiHandler.WriteStatusAsync(context, e);
        }
    }

    private JsonArray Operations(IQueryCollection query)
    {
        var since = DateTimeOffset.TryParse(query["since"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s) ? s : DateTimeOffset.MinValue;
        string? Q(string key) => query[key].FirstOrDefault();
        var operations = cluster.Operations.Query(o =>
            o.At >= since
            && (Q("verb") is not { } verb || o.Verb == verb)
            && (Q("resource") is not { } resource || o.Resource == resource)
            && (Q("namespace") is not { } ns || o.Namespace == ns)
            && (Q("name") is not { } name || o.Name == name)
            && (Q("actor") is not { } actor || o.Actor.Contains(actor, StringComparison.OrdinalIgnoreCase)));
        return JsonSerializer.SerializeToNode(operations, Web)!.AsArray();
    }

    private static async Task<T> ReadAsync<T>(HttpContext context)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Web, context.RequestAborted)
                ?? throw StatusException.BadRequest("the body is empty");
        }
        catch (JsonException e)
        {
            throw StatusException.BadRequest($"the body could not be read: {e.Message}");
        }
    }

    private static Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private sealed record LatencyBody(double DelayMs, string? Verb, string? PathContains);

    private sealed record StuckBody(string Namespace);
}

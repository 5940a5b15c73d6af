using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Urumi.Durable.Client;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Hosting;

/// <summary>The Durable Functions HTTP management API under /runtime/webhooks/durabletask (admin key required).</summary>
public static class DurableManagementApi
{
    public static IEndpointRouteBuilder MapDurableManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(HttpManagementPayload.WebhookPath).AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetService(typeof(FunctionKeys)) is FunctionKeys keys && keys.Authorize(context.HttpContext, AuthorizationLevel.Admin) is { } denied
                ? denied
                : await next(context));

        api.MapPost("orchestrators/{name}/{instanceId?}", StartAsync);
        api.MapGet("instances/{instanceId}", GetStatusAsync);
        api.MapGet("instances", ListAsync);
        api.MapDelete("instances/{instanceId}", PurgeAsync);
        api.MapDelete("instances", PurgeManyAsync);
        api.MapPost("instances/{instanceId}/raiseEvent/{eventName}", RaiseEventAsync);
        api.MapPost("instances/{instanceId}/terminate", (string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
            ControlAsync(client, instanceId, ct, c => c.TerminateInstanceAsync(instanceId, reason, ct)));
        api.MapPost("instances/{instanceId}/suspend", (string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
            ControlAsync(client, instanceId, ct, c => c.SuspendInstanceAsync(instanceId, reason, ct)));
        api.MapPost("instances/{instanceId}/resume", (string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
            ControlAsync(client, instanceId, ct, c => c.ResumeInstanceAsync(instanceId, reason, ct)));
        api.MapPost("instances/{instanceId}/restart", RestartAsync);
        return app;
    }

    private static async Task<IResult> StartAsync(string name, string? instanceId, HttpRequest request, DurableTaskClient client, FunctionRegistry registry, CancellationToken ct)
    {
        if (!registry.OrchestratorNames.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return Problems.Create(400, "unknown-orchestrator", "Unknown orchestrator", $"No orchestrator function named '{name}' exists. Known: {string.Join(", ", registry.OrchestratorNames.Order())}.");
        }
        var (input, error) = await ReadJsonAsync(request, ct);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var id = await client.ScheduleNewOrchestrationInstanceAsync(registry.OrchestratorNames.First(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)), input, new StartOrchestrationOptions(instanceId), ct);
            return client.CreateCheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return Problems.Create(409, "instance-exists", "Instance already exists", e.Message);
        }
        catch (ArgumentException e)
        {
            return Problems.Create(400, "invalid-instance-id", "Invalid instance id", e.Message);
        }
    }

    private static async Task<IResult> GetStatusAsync(string instanceId, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var showHistory = Flag(request, "showHistory");
        var showInput = !request.Query.ContainsKey("showInput") || Flag(request, "showInput");
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, ct);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }
        var history = showHistory ? await client.GetOrchestrationHistoryAsync(instanceId, ct) : null;
        var body = StatusResponse.Build(metadata, history, showInput, Flag(request, "showHistoryOutput"));
        if (metadata.RuntimeStatus is OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended)
        {
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return new WithLocation(Results.Json(body, statusCode: 202), HttpManagementPayload.For(request, instanceId).StatusQueryGetUri);
        }
        return Results.Json(body);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var query = ParseFilter(request, out var problem);
        if (problem is not null)
        {
            return problem;
        }
        var top = int.TryParse(request.Query["top"], out var t) && t > 0 ? t : 100;
        var token = request.Headers["x-ms-continuation-token"].FirstOrDefault();
        var showInput = Flag(request, "showInput");
        var page = await client.GetInstancesPageAsync(query with { PageSize = top, ContinuationToken = string.IsNullOrEmpty(token) ? null : token, FetchInputsAndOutputs = true }, ct);
        if (page.ContinuationToken is not null)
        {
            request.HttpContext.Response.Headers["x-ms-continuation-token"] = page.ContinuationToken;
        }
        return Results.Json(new JsonArray(page.Values.Select(m => (JsonNode)StatusResponse.Build(m, null, showInput, false)).ToArray()));
    }

    private static async Task<IResult> PurgeAsync(string instanceId, DurableTaskClient client, CancellationToken ct)
    {
        var result = await client.PurgeInstanceAsync(instanceId, ct);
        return result.PurgedInstanceCount == 0 ? NotFound(instanceId) : Results.Json(new { instancesDeleted = result.PurgedInstanceCount });
    }

    private static async Task<IResult> PurgeManyAsync(HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var query = ParseFilter(request, out var problem);
        if (problem is not null)
        {
            return problem;
        }
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(query.CreatedFrom, query.CreatedTo, query.Statuses), ct);
        return result.PurgedInstanceCount == 0
            ? Problems.Create(404, "no-instances", "No instances matched", "No instances matched the filter; nothing was purged.")
            : Results.Json(new { instancesDeleted = result.PurgedInstanceCount });
    }

    private static async Task<IResult> RaiseEventAsync(string instanceId, string eventName, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var (payload, error) = await ReadJsonAsync(request, ct);
        if (error is not null)
        {
            return error;
        }
        return await ControlAsync(client, instanceId, ct, c => c.RaiseEventAsync(instanceId, eventName, payload, ct));
    }

    private static async Task<IResult> RestartAsync(string instanceId, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: ct);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }
        var newId = !request.Query.ContainsKey("restartWithNewInstanceId") || Flag(request, "restartWithNewInstanceId");
        try
        {
            var id = await client.RestartAsync(instanceId, newId, ct);
            return client.CreateCheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return Problems.Create(409, "instance-running", "Instance is still running", e.Message);
        }
    }

    private static async Task<IResult> ControlAsync(DurableTaskClient client, string instanceId, CancellationToken ct, Func<DurableTaskClient, Task> action)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: ct);
        if (metadata is null)
        {
            return NotFound(instanceId);
        }
        if (metadata.IsCompleted)
        {
            return Problems.Create(410, "instance-completed", "Instance already completed", $"Instance '{instanceId}' is {metadata.RuntimeStatus}.");
        }
        await action(client);
        return Results.Accepted();
    }

    private static OrchestrationQuery ParseFilter(HttpRequest request, out IResult? problem)
    {
        problem = null;
        var query = new OrchestrationQuery { InstanceIdPrefix = request.Query["instanceIdPrefix"].FirstOrDefault() };
        if (request.Query["createdTimeFrom"].FirstOrDefault() is { } from)
        {
            if (!DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var f))
            {
                problem = Problems.Create(400, "invalid-query", "Invalid createdTimeFrom", $"'{from}' is not a date-time.");
                return query;
            }
            query = query with { CreatedFrom = f };
        }
        if (request.Query["createdTimeTo"].FirstOrDefault() is { } to)
        {
            if (!DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                problem = Problems.Create(400, "invalid-query", "Invalid createdTimeTo", $"'{to}' is not a date-time.");
                return query;
            }
            query = query with { CreatedTo = t };
        }
        if (request.Query["runtimeStatus"].FirstOrDefault() is { Length: > 0 } statuses)
        {
            var parsed = new List<OrchestrationRuntimeStatus>();
            foreach (var s in statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<OrchestrationRuntimeStatus>(s, ignoreCase: true, out var status) || int.TryParse(s, out _))
                {
                    problem = Problems.Create(400, "invalid-query", "Invalid runtimeStatus", $"'{s}' is not a runtime status ({string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}).");
                    return query;
                }
                parsed.Add(status);
            }
            query = query with { Statuses = parsed };
        }
        return query;
    }

    private static async Task<(object? Value, IResult? Error)> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }
        try
        {
            return (JsonSerializer.Deserialize<JsonElement>(text), null);
        }
        catch (JsonException e)
        {
            return (null, Problems.Create(400, "invalid-json", "The body is not valid JSON", e.Message));
        }
    }

    private static bool Flag(HttpRequest request, string name) =>
        request.Query[name].FirstOrDefault() is { } v && (v.Length == 0 || bool.TryParse(v, out var b) && b);

    private static IResult NotFound(string instanceId) =>
        Problems.Create(404, "instance-not-found", "Instance not found", $"No instance with id '{instanceId}' exists.");

    /// <summary>Adds a Location header to another result.</summary>
    private sealed class WithLocation(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}

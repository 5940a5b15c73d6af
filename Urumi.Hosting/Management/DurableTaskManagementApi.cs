using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTask.Core.Exceptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Hosting.Client;

namespace Urumi.Hosting.Management;

/// <summary>
/// The Durable Functions HTTP management API under /runtime/webhooks/durabletask, over the DI container's
/// <see cref="DurableTaskClient"/>. These are admin operations: the host authorizes them on the returned group
/// (<c>.AddEndpointFilter(...)</c> or <c>.RequireAuthorization(...)</c>). Purges remove only terminal instances.
/// </summary>
public static class DurableTaskManagementApi
{
    public static RouteGroupBuilder MapDurableTaskManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(HttpManagementPayload.WebhookPath);
        api.MapPost("orchestrators/{name}/{instanceId?}", StartAsync);
        api.MapGet("instances/{instanceId}", GetStatusAsync);
        api.MapGet("instances", ListAsync);
        api.MapDelete("instances/{instanceId}", PurgeAsync);
        api.MapDelete("instances", PurgeManyAsync);
        api.MapPost("instances/{instanceId}/raiseEvent/{eventName}", RaiseEventAsync);
        api.MapPost("instances/{instanceId}/terminate", TerminateAsync);
        api.MapPost("instances/{instanceId}/suspend", SuspendAsync);
        api.MapPost("instances/{instanceId}/resume", ResumeAsync);
        api.MapPost("instances/{instanceId}/restart", RestartAsync);
        return api;
    }

    private static async Task<IResult> StartAsync(
        string name, string? instanceId, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var known = request.HttpContext.RequestServices.GetService<KnownOrchestrators>();
        var orchestrator = known is null ? name : known.Resolve(name);
        if (orchestrator is null)
        {
            return ManagementProblems.Create(400, "unknown-orchestrator", "Unknown orchestrator",
                $"No orchestrator function named '{name}' exists. Known: {string.Join(", ", known!.Names)}.", "name");
        }
        var (input, error) = await ReadJsonAsync(request, ct);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var options = new StartOrchestrationOptions(instanceId);
            var id = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, options, ct);
            return HttpManagementPayload.CheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return ManagementProblems.Create(409, "instance-exists", "Instance already exists", e.Message);
        }
        catch (ArgumentException e)
        {
            return ManagementProblems.Create(400, "invalid-instance-id", "Invalid instance id", e.Message, "instanceId");
        }
    }

    private static async Task<IResult> GetStatusAsync(
        string instanceId, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, ct);
        if (metadata is null)
        {
            return ManagementProblems.InstanceNotFound(instanceId);
        }
        var history = Flag(request, "showHistory") ? await client.GetOrchestrationHistoryAsync(instanceId, ct) : null;
        var showInput = !request.Query.ContainsKey("showInput") || Flag(request, "showInput");
        var body = StatusResponse.Build(metadata, history, showInput, Flag(request, "showHistoryOutput"));
        if (RuntimeStatuses.IsTerminal(metadata.RuntimeStatus))
        {
            return Results.Json(body);
        }
        request.HttpContext.Response.Headers.RetryAfter = "1";
        var statusUri = HttpManagementPayload.For(request, instanceId).StatusQueryGetUri;
        request.HttpContext.Response.Headers.Location = statusUri;
        return Results.Json(body, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        if (InstanceFilter.Parse(request.Query, out var problem) is not { } filter)
        {
            return problem!;
        }
        var top = int.TryParse(request.Query["top"], out var t) && t > 0 ? t : 100;
        var token = request.Headers["x-ms-continuation-token"].FirstOrDefault();
        var query = new OrchestrationQuery(filter.CreatedFrom, filter.CreatedTo, filter.Statuses,
            InstanceIdPrefix: filter.InstanceIdPrefix, PageSize: top, FetchInputsAndOutputs: true);
        var continuation = string.IsNullOrEmpty(token) ? null : token;
        var page = await FirstPageAsync(client.GetAllInstancesAsync(query), continuation, top, ct);
        if (page.ContinuationToken is not null)
        {
            request.HttpContext.Response.Headers["x-ms-continuation-token"] = page.ContinuationToken;
        }
        var showInput = Flag(request, "showInput");
        var items = page.Values.Select(m => (JsonNode)StatusResponse.Build(m, null, showInput, false));
        return Results.Json(new JsonArray([.. items]));
    }

    private static async Task<IResult> PurgeAsync(string instanceId, DurableTaskClient client, CancellationToken ct)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: ct);
        if (metadata is null)
        {
            return ManagementProblems.InstanceNotFound(instanceId);
        }
        if (!RuntimeStatuses.IsTerminal(metadata.RuntimeStatus))
        {
            return NotTerminal(instanceId, metadata.RuntimeStatus);
        }
        try
        {
            var result = await client.PurgeInstanceAsync(instanceId, cancellation: ct);
            return result.PurgedInstanceCount == 0
                ? ManagementProblems.InstanceNotFound(instanceId)
                : Results.Json(new { instancesDeleted = result.PurgedInstanceCount });
        }
        catch (InvalidOperationException)
        {
            // It was restarted between the check and the purge: still not purged, for the same reason.
            return NotTerminal(instanceId, OrchestrationRuntimeStatus.Running);
        }
    }

    private static async Task<IResult> PurgeManyAsync(
        HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        if (InstanceFilter.Parse(request.Query, out var problem) is not { } filter)
        {
            return problem!;
        }
        var live = filter.Statuses?.Where(s => !RuntimeStatuses.IsTerminal(s)).ToList() ?? [];
        if (live.Count > 0)
        {
            return ManagementProblems.InvalidQuery("runtimeStatus",
                $"Only instances in a terminal state ({string.Join(", ", RuntimeStatuses.Terminal)}) can be purged, "
                + $"not {string.Join(", ", live)}.");
        }
        var statuses = filter.Statuses ?? [.. RuntimeStatuses.Terminal];
        var purge = new PurgeInstancesFilter(filter.CreatedFrom, filter.CreatedTo, statuses);
        var result = await client.PurgeAllInstancesAsync(purge, ct);
        return result.PurgedInstanceCount == 0
            ? ManagementProblems.Create(404, "no-instances", "No instances matched",
                "No terminal instance matched the filter; nothing was purged.")
            : Results.Json(new { instancesDeleted = result.PurgedInstanceCount });
    }

    private static async Task<IResult> RaiseEventAsync(
        string instanceId, string eventName, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        var (payload, error) = await ReadJsonAsync(request, ct);
        var events = request.HttpContext.RequestServices.GetService<KnownEvents>();
        return error ?? await ControlAsync(
            client, instanceId, ct, () => client.RaiseEventAsync(instanceId, eventName, payload, ct),
            metadata => events?.Problem(metadata.Name, eventName, payload as JsonElement?) is { } problem
                ? ManagementProblems.Create(400, "invalid-event-payload", "The event's payload cannot be read", problem, "body")
                : null);
    }

    private static Task<IResult> TerminateAsync(
        string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
        ControlAsync(client, instanceId, ct, () => client.TerminateInstanceAsync(instanceId, reason, ct));

    private static Task<IResult> SuspendAsync(
        string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
        ControlAsync(client, instanceId, ct, () => client.SuspendInstanceAsync(instanceId, reason, ct));

    private static Task<IResult> ResumeAsync(
        string instanceId, string? reason, DurableTaskClient client, CancellationToken ct) =>
        ControlAsync(client, instanceId, ct, () => client.ResumeInstanceAsync(instanceId, reason, ct));

    private static async Task<IResult> RestartAsync(
        string instanceId, HttpRequest request, DurableTaskClient client, CancellationToken ct)
    {
        if (await client.GetInstanceAsync(instanceId, cancellation: ct) is null)
        {
            return ManagementProblems.InstanceNotFound(instanceId);
        }
        var newId = !request.Query.ContainsKey("restartWithNewInstanceId") || Flag(request, "restartWithNewInstanceId");
        try
        {
            var id = await client.RestartAsync(instanceId, newId, ct);
            return HttpManagementPayload.CheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return ManagementProblems.Create(409, "instance-running", "Instance is still running", e.Message);
        }
    }

    /// <summary>
    /// An operation on a live instance: 404 when there is none, 410 when it has already ended, else
    /// <paramref name="check"/>'s problem, if any, before anything is sent.
    /// </summary>
    private static async Task<IResult> ControlAsync(
        DurableTaskClient client, string instanceId, CancellationToken ct, Func<Task> action,
        Func<OrchestrationMetadata, IResult?>? check = null)
    {
        var metadata = await client.GetInstanceAsync(instanceId, cancellation: ct);
        if (metadata is null)
        {
            return ManagementProblems.InstanceNotFound(instanceId);
        }
        if (RuntimeStatuses.IsTerminal(metadata.RuntimeStatus))
        {
            return ManagementProblems.Create(410, "instance-completed", "Instance already completed",
                $"Instance '{instanceId}' is {metadata.RuntimeStatus}.");
        }
        if (check?.Invoke(metadata) is { } problem)
        {
            return problem;
        }
        await action();
        return Results.Accepted();
    }

    private static IResult NotTerminal(string instanceId, OrchestrationRuntimeStatus status) =>
        ManagementProblems.Create(409, "instance-not-terminal", "Instance is not in a terminal state",
            $"Instance '{instanceId}' is {status}: only instances in a terminal state "
            + $"({string.Join(", ", RuntimeStatuses.Terminal)}) can be purged. Terminate it first.");

    private static async Task<Page<OrchestrationMetadata>> FirstPageAsync(
        AsyncPageable<OrchestrationMetadata> pageable, string? token, int pageSize, CancellationToken ct)
    {
        await foreach (var page in pageable.AsPages(token, pageSize).WithCancellation(ct))
        {
            return page;
        }
        return new Page<OrchestrationMetadata>([], null);
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
            return (null, ManagementProblems.Create(400, "invalid-json", "The body is not valid JSON", e.Message, "body"));
        }
    }

    private static bool Flag(HttpRequest request, string name) =>
        request.Query[name].FirstOrDefault() is { } v && (v.Length == 0 || bool.TryParse(v, out var b) && b);
}

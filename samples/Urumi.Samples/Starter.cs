using System.Reflection;
using System.Text.Json;
using DurableTask.Core.Exceptions;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Http;

namespace Urumi.Samples;

/// <summary>POST /api/orchestrators/{name}[/{instanceId}]: starts any orchestrator of this app with the body as input.</summary>
public static class Starter
{
    /// <summary>The orchestrators of this app, by the name of their [Function] attribute.</summary>
    private static readonly HashSet<string> Orchestrators = typeof(Starter).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods())
        .Where(m => m.GetParameters().Any(p => p.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null))
        .Select(m => m.GetCustomAttribute<FunctionAttribute>()!.Name)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    [Function("HttpStart")]
    public static async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "orchestrators/{name}/{instanceId?}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string name,
        string? instanceId)
    {
        if (!Orchestrators.Contains(name))
        {
            return Problems.Create(400, "unknown-orchestrator", "Unknown orchestrator", $"No orchestrator named '{name}'.");
        }
        JsonElement? input = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                input = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            }
            catch (JsonException e)
            {
                return Problems.Create(400, "invalid-json", "The body is not valid JSON", e.Message);
            }
        }
        try
        {
            var id = await client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(string.IsNullOrEmpty(instanceId) ? null : instanceId));
            return Urumi.Hosting.Management.HttpManagementPayload.CheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return Problems.Create(409, "instance-exists", "Instance already exists", e.Message);
        }
    }
}

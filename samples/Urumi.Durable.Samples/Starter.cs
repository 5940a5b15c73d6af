using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Urumi.Durable;
using Urumi.Durable.Client;
using Urumi.Durable.Hosting;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Samples;

/// <summary>POST /api/orchestrators/{name}[/{instanceId}]: starts any orchestrator with the body as input.</summary>
public sealed class Starter(FunctionRegistry registry)
{
    [Function("HttpStart")]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "orchestrators/{name}/{instanceId?}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string name,
        string? instanceId)
    {
        if (!registry.OrchestratorNames.Contains(name, StringComparer.OrdinalIgnoreCase))
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
            return client.CreateCheckStatusResponse(request, id);
        }
        catch (OrchestrationAlreadyExistsException e)
        {
            return Problems.Create(409, "instance-exists", "Instance already exists", e.Message);
        }
    }
}

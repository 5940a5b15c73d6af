using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Http;
using Urumi.Functions.Guardrails;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Audit;

/// <summary>/api/audit: the store timelines across stores; purging histories is an explicit admin action.</summary>
public sealed class AuditFunctions(AuditTrail audit)
{
    private static readonly string[] Actions = ["create", "retry", "delete"];

    [Function("AuditHttp")]
    public async Task<IResult> Search(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "audit")] HttpRequest request,
        CancellationToken ct)
    {
        var caller = Caller.From(request.HttpContext);
        var query = new QueryReader(request.Query);
        var from = query.Time("from");
        var to = query.Time("to");
        var store = query.Single("store");
        if (store is not null && !StoreRequestBody.IsStoreId(store))
        {
            query.Errors["store"] = ["must be a store id"];
        }
        var action = query.OneOf("action", Actions);
        var limit = query.Int("limit", 100, 1, 1000, "operations");
        var format = query.Enum<AuditFormat>("format") ?? AuditFormat.Json;
        if (query.Problem is { } invalid)
        {
            return invalid;
        }
        var items = await audit.SearchAsync(from, to, store, action, caller.OwnerFilter, limit, ct);
        return format switch
        {
            AuditFormat.Csv => Download(request, AuditExport.ToCsv(items), "text/csv; charset=utf-8", "csv"),
            AuditFormat.Ndjson => Download(request, AuditExport.ToNdjson(items), "application/x-ndjson; charset=utf-8", "ndjson"),
            _ => Results.Json(new { items }),
        };
    }

    private static IResult Download(HttpRequest request, string content, string contentType, string extension)
    {
        request.HttpContext.Response.Headers.ContentDisposition = $"attachment; filename=\"urumi-audit.{extension}\"";
        return Results.Text(content, contentType);
    }

    /// <summary>Deletes the histories of finished operations created before `before` (admin key only).</summary>
    [Function("AuditPurgeHttp")]
    public async Task<IResult> Purge(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "audit")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct)
    {
        var query = new QueryReader(request.Query);
        var before = query.Time("before");
        if (before is null && !query.Errors.ContainsKey("before"))
        {
            query.Errors["before"] = ["is required: histories of operations created before this time are deleted"];
        }
        if (query.Problem is { } invalid)
        {
            return invalid;
        }
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedTo: before,
            Statuses: [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]), ct);
        return Results.Json(new { purged = result.PurgedInstanceCount, before });
    }
}

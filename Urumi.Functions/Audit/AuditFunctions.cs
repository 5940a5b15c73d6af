using System.Globalization;
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
        var errors = new Dictionary<string, string[]>();
        var from = Time(request, "from", errors);
        var to = Time(request, "to", errors);
        var store = request.Query["store"].FirstOrDefault();
        if (store is not null && !StoreRequestBody.IsStoreId(store))
        {
            errors["store"] = ["must be a store id"];
        }
        var action = request.Query["action"].FirstOrDefault();
        if (action is not null && !Actions.Contains(action, StringComparer.Ordinal))
        {
            errors["action"] = [$"must be one of {string.Join(", ", Actions)}"];
        }
        var limit = 100;
        if (request.Query["limit"].FirstOrDefault() is { } text && (!int.TryParse(text, out limit) || limit is < 1 or > 1000))
        {
            errors["limit"] = ["must be a whole number of operations from 1 to 1000"];
        }
        var format = AuditFormat.Json;
        if (request.Query["format"].FirstOrDefault() is { } formatText
            && (!Enum.TryParse(formatText, ignoreCase: true, out format) || int.TryParse(formatText, out _)))
        {
            errors["format"] = ["must be json, csv or ndjson"];
        }
        if (errors.Count > 0)
        {
            return StoreFunctions.Validation(errors);
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
        var errors = new Dictionary<string, string[]>();
        var before = Time(request, "before", errors);
        if (before is null && errors.Count == 0)
        {
            errors["before"] = ["is required: histories of operations created before this time are deleted"];
        }
        if (errors.Count > 0)
        {
            return StoreFunctions.Validation(errors);
        }
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedTo: before,
            Statuses: [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]), ct);
        return Results.Json(new { purged = result.PurgedInstanceCount, before });
    }

    private static DateTimeOffset? Time(HttpRequest request, string name, Dictionary<string, string[]> errors)
    {
        if (request.Query[name].FirstOrDefault() is not { } text)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }
        errors[name] = ["must be an ISO 8601 time such as 2026-11-23T10:00:00Z"];
        return null;
    }
}

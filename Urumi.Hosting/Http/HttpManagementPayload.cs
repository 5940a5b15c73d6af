using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace Urumi.Hosting.Http;

/// <summary>The management URLs of one instance, as Durable Functions' check-status payload names them.</summary>
public sealed record HttpManagementPayload(
    string Id,
    string StatusQueryGetUri,
    string SendEventPostUri,
    string TerminatePostUri,
    string PurgeHistoryDeleteUri,
    string RestartPostUri,
    string SuspendPostUri,
    string ResumePostUri)
{
    public const string WebhookPath = "/runtime/webhooks/durabletask";

    public static HttpManagementPayload For(HttpRequest request, string instanceId)
    {
        var instance = $"{request.Scheme}://{request.Host}{request.PathBase}{WebhookPath}/instances/{Uri.EscapeDataString(instanceId)}";
        return new HttpManagementPayload(
            instanceId,
            instance,
            instance + "/raiseEvent/{eventName}",
            instance + "/terminate?reason={text}",
            instance,
            instance + "/restart",
            instance + "/suspend?reason={text}",
            instance + "/resume?reason={text}");
    }
}

public static class DurableTaskClientHttpExtensions
{
    /// <summary>202 Accepted with the check-status payload and Location: the status query URL.</summary>
    public static IResult CreateCheckStatusResponse(this DurableTaskClient client, HttpRequest request, string instanceId)
    {
        var payload = HttpManagementPayload.For(request, instanceId);
        request.HttpContext.Response.Headers.RetryAfter = "1";
        return Results.Accepted(payload.StatusQueryGetUri, payload);
    }

    public static HttpManagementPayload CreateHttpManagementPayload(this DurableTaskClient client, HttpRequest request, string instanceId) =>
        HttpManagementPayload.For(request, instanceId);
}

using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Management;

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

    /// <summary>The payload for an instance, with absolute URLs on the host the request came to.</summary>
    public static HttpManagementPayload For(HttpRequest request, string instanceId)
    {
        var baseUri = $"{request.Scheme}://{request.Host}{request.PathBase}{WebhookPath}";
        var instance = $"{baseUri}/instances/{Uri.EscapeDataString(instanceId)}";
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

    /// <summary>202 Accepted with the payload, Location: the status query URL, and Retry-After.</summary>
    public static IResult CheckStatusResponse(HttpRequest request, string instanceId)
    {
        var payload = For(request, instanceId);
        request.HttpContext.Response.Headers.RetryAfter = "1";
        return Results.Accepted(payload.StatusQueryGetUri, payload);
    }
}

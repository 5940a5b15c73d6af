using Microsoft.AspNetCore.Http;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Auth;

/// <summary>
/// Authentication and, with RBAC on, authorization of each request before it reaches the API: 401 without a token
/// the cluster knows, 403 Forbidden (the real Status and message) for what the user's roles do not allow.
/// Health probes need nothing; KubeSim's own /_kubesim/ endpoints need the admin.
/// </summary>
public static class Gatekeeper
{
    public static async Task<bool> AdmitsAsync(Cluster cluster, HttpContext context, string path)
    {
        var options = cluster.Options;
        if (path is "/livez" or "/readyz" or "/healthz" || options.Token is null && !options.Rbac)
        {
            return true;
        }
        var user = cluster.Authentication.Authenticate(context.Request.Headers.Authorization.ToString());
        if (user is null)
        {
            await ApiHandler.WriteStatusAsync(context, StatusException.Unauthorized());
            return false;
        }
        if (path.StartsWith("/_kubesim/", StringComparison.Ordinal) && !user.Groups.Contains(UserInfo.Masters))
        {
            await ApiHandler.WriteStatusAsync(context, new StatusException(403, "Forbidden", $"forbidden: User \"{user.Name}\" cannot use KubeSim's admin API"));
            return false;
        }
        if (!options.Rbac || path.StartsWith("/_kubesim/", StringComparison.Ordinal))
        {
            return true;
        }
        var request = RequestAttributes.From(context.Request.Method, path, context.Request.Query["watch"].FirstOrDefault() is "true" or "1");
        var allowed = cluster.Authorizer.Allows(user, request);
        cluster.Access.Record(user, request, allowed);
        if (allowed)
        {
            return true;
        }
        var details = new System.Text.Json.Nodes.JsonObject { ["name"] = request.Name, ["kind"] = request.Resource };
        if (request.Group.Length > 0)
        {
            details["group"] = request.Group;
        }
        await ApiHandler.WriteStatusAsync(context, new StatusException(403, "Forbidden", RbacAuthorizer.ForbiddenMessage(user, request), request.IsResourceRequest ? details : null));
        return false;
    }
}

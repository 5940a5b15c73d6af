using Microsoft.AspNetCore.Http;
using Urumi.Hosting.Http;

namespace Urumi.Hosting.Management;

/// <summary>RFC 9457 problem+json answers of the management API, each with a stable type.</summary>
internal static class ManagementProblems
{
    /// <summary>A problem; with <paramref name="field"/> (a 400's), `errors` names the input that is wrong.</summary>
    public static IResult Create(int status, string type, string title, string detail, string? field = null) =>
        Problems.Create(status, type, title, detail, field is null ? null
            : new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });

    public static IResult InstanceNotFound(string instanceId) =>
        Create(404, "instance-not-found", "Instance not found", $"No instance with id '{instanceId}' exists.");

    public static IResult InvalidQuery(string parameter, string detail) =>
        Create(400, "invalid-query", $"Invalid {parameter}", detail, parameter);
}

using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Management;

/// <summary>RFC 9457 problem+json answers of the management API, each with a stable type.</summary>
internal static class ManagementProblems
{
    public const string TypeBase = "https://urumi.dev/problems/";

    public static IResult Create(int status, string type, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type);

    public static IResult InstanceNotFound(string instanceId) =>
        Create(404, "instance-not-found", "Instance not found", $"No instance with id '{instanceId}' exists.");

    public static IResult InvalidQuery(string parameter, string detail) =>
        Create(400, "invalid-query", $"Invalid {parameter}", detail);
}

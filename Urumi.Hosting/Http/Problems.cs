using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Http;

/// <summary>RFC 9457 problem+json responses with a stable type.</summary>
public static class Problems
{
    public const string TypeBase = "https://urumi.dev/problems/";

    public static IResult Create(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
}

using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Http;

/// <summary>RFC 9457 problem+json responses with a stable type.</summary>
public static class Problems
{
    public const string TypeBase = "https://urumi.dev/problems/";

    public static IResult Create(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);

    /// <summary>The 400 of malformed input: `errors` names each field, parameter or header with what is wrong with it.</summary>
    public static IResult Validation(IReadOnlyDictionary<string, string[]> errors) =>
        Create(400, "validation", "The request is not valid", string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}.")),
            new Dictionary<string, object?> { ["errors"] = errors });
}

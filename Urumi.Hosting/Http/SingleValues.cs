using Microsoft.AspNetCore.Http;

namespace Urumi.Hosting.Http;

/// <summary>
/// Headers (and the ?code= key) that carry one value: sent twice, the request is a 400 naming them, before any
/// function reads them (reading only the first would answer something other than what was sent).
/// </summary>
public static class SingleValues
{
    private static readonly string[] Headers = ["x-functions-key", "Idempotency-Key", "Last-Event-ID", "Content-Type", "Authorization"];

    /// <summary>The 400 naming each repeated or unprintable one, or null.</summary>
    public static IResult? Problem(HttpRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var name in Headers)
        {
            Check(name, request.Headers[name], errors);
        }
        Check("code", request.Query["code"], errors);
        return errors.Count == 0 ? null : Problems.Validation(errors);
    }

    private static void Check(string name, Microsoft.Extensions.Primitives.StringValues values, Dictionary<string, string[]> errors)
    {
        if (values.Count > 1)
        {
            errors[name] = [$"is given {values.Count} times; give it once"];
        }
        else if (values.Count == 1 && !RequestText.IsPrintable(values[0] ?? ""))
        {
            errors[name] = ["must be printable text"];
        }
    }
}

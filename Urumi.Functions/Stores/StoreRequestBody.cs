using System.Text.Json;
using System.Text.RegularExpressions;
using Urumi.Hosting.Http;

namespace Urumi.Functions.Stores;

/// <summary>The body of POST /api/stores, read and checked field by field: every mistake is named.</summary>
public sealed partial record StoreRequestBody(string Name, string Engine, string Plan, bool KeepFailed)
{
    public const int MaxBodyBytes = 16 * 1024;
    private static readonly string[] Fields = ["name", "engine", "plan", "keepFailed"];

    /// <summary>A lowercase DNS-1123 label of 3 to 40 characters.</summary>
    public static bool IsName(string name) => name.Length is >= 3 and <= 40 && Label().IsMatch(name);

    /// <summary>The start of a store name, as the list's name search takes it.</summary>
    public static bool IsNamePrefix(string text) => text.Length is >= 1 and <= 40 && NamePrefix().IsMatch(text);

    /// <summary>A store id: a DNS-1123 label (the name and a suffix).</summary>
    public static bool IsStoreId(string id) => id.Length is >= 3 and <= 63 && Label().IsMatch(id);

    public static async Task<(StoreRequestBody? Body, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }
        if (request.ContentType is { } type && !IsJson(type))
        {
            return (null, Problems.Create(415, "unsupported-media-type", "The body must be JSON", "Send Content-Type: application/json (charset utf-8 if any)."));
        }
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return (null, TooLarge());
            }
        }
        if (buffer.Length == 0)
        {
            return (null, Invalid(new() { ["body"] = ["a JSON object {name, engine, plan} is required"] }));
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            return (null, Problems.Create(400, "invalid-json", "The body is not valid JSON", e.Message,
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["body"] = [$"not valid JSON: {e.Message}"] } }));
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Invalid(new() { ["body"] = ["must be a JSON object {name, engine, plan}"] }));
            }
            var errors = FieldErrors(doc.RootElement);
            if (errors.ContainsKey("body"))
            {
                // A field name that is not text: looking any field up by name would read it, and fail.
                return (null, Invalid(errors));
            }
            var name = Text(doc.RootElement, "name", errors, required: true);
            if (name is not null && !IsName(name))
            {
                errors["name"] = ["must be 3-40 characters of lowercase letters, digits and '-', starting and ending with a letter or digit (a DNS-1123 label)"];
            }
            var engine = Text(doc.RootElement, "engine", errors, required: true);
            if (engine is not null && !Store.Engines.Contains(engine, StringComparer.Ordinal))
            {
                errors["engine"] = [$"must be one of {string.Join(", ", Store.Engines)}"];
            }
            var plan = Text(doc.RootElement, "plan", errors, required: false) ?? "small";
            if (!StorePlans.Names.Contains(plan, StringComparer.Ordinal))
            {
                errors["plan"] = [$"must be one of {string.Join(", ", StorePlans.Names)}"];
            }
            var keepFailed = false;
            if (doc.RootElement.TryGetProperty("keepFailed", out var keep))
            {
                if (keep.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    keepFailed = keep.GetBoolean();
                }
                else
                {
                    errors["keepFailed"] = ["must be true or false"];
                }
            }
            return errors.Count > 0 ? (null, Invalid(errors)) : (new StoreRequestBody(name!, engine!, plan, keepFailed), null);
        }
    }

    private static string? Text(JsonElement root, string field, Dictionary<string, string[]> errors, bool required)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors[field] = ["is required"];
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[field] = [$"must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}"];
            return null;
        }
        if (StringOf(value) is not { } text || !RequestText.IsPrintable(text))
        {
            errors[field] = ["must be printable Unicode text (no control character, no lone surrogate such as \\ud800)"];
            return null;
        }
        return text;
    }

    /// <summary>Unknown fields, fields given twice (JSON lets the last one win silently) and names that are not text.</summary>
    private static Dictionary<string, string[]> FieldErrors(JsonElement root)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var name = NameOf(property);
            if (name is null || !RequestText.IsPrintable(name))
            {
                errors["body"] = ["has a field name that is not printable Unicode text"];
            }
            else if (!Fields.Contains(name, StringComparer.Ordinal))
            {
                errors[name] = [$"unknown field (fields: {string.Join(", ", Fields)})"];
            }
            else if (!seen.Add(name))
            {
                errors[name] = ["is given more than once"];
            }
        }
        return errors;
    }

    /// <summary>The string, or null when its escapes do not make a UTF-16 string .NET can hold (a lone surrogate).</summary>
    private static string? StringOf(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? NameOf(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>application/json, with no parameter but charset=utf-8 (the only encoding JSON over HTTP has).</summary>
    private static bool IsJson(string contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && media.Parameters.All(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)
            && Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(p.Value).Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static IResult Invalid(Dictionary<string, string[]> errors) => Problems.Validation(errors);

    private static IResult TooLarge() => Problems.Create(413, "body-too-large", "The body is too large", $"A store request is at most {MaxBodyBytes} bytes.");

    [GeneratedRegex(@"^[a-z0-9][-a-z0-9]*\z")]
    private static partial Regex NamePrefix();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Label();
}

using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Urumi.Hosting.Http;

namespace Urumi.Functions.Stores;

/// <summary>
/// The body of POST /api/stores: bound by System.Text.Json (no unknown or repeated field, each field of its JSON
/// type, no lone surrogate) and checked by DataAnnotations; every mistake is named in the problem's `errors`.
/// </summary>
public sealed partial record StoreRequestBody(string Name, string Engine, string Plan, bool KeepFailed)
{
    public const int MaxBodyBytes = 16 * 1024;
    private const string DefaultPlan = "small";

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
        if (await ReadCappedAsync(request.Body, ct) is not { } bytes)
        {
            return (null, TooLarge());
        }
        if (bytes.Length == 0)
        {
            return (null, Invalid(new() { ["body"] = ["a JSON object {name, engine, plan} is required"] }));
        }
        Fields? fields;
        try
        {
            fields = JsonSerializer.Deserialize(bytes, StoreRequestJson.Default.Fields);
        }
        catch (JsonException e)
        {
            return (null, BindingProblem(e));
        }
        if (fields is null)
        {
            return (null, Invalid(new() { ["body"] = ["must be a JSON object {name, engine, plan}"] }));
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(fields, new ValidationContext(fields), results, validateAllProperties: true))
        {
            return (null, Invalid(results.SelectMany(r => r.MemberNames.Select(m => (Field: JsonNamingPolicy.CamelCase.ConvertName(m), r.ErrorMessage)))
                .GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage ?? "is not valid").ToArray())));
        }
        return (new StoreRequestBody(fields.Name!, fields.Engine!, fields.Plan ?? DefaultPlan, fields.KeepFailed), null);
    }

    /// <summary>The body, or null when it is longer than <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadCappedAsync(Stream body, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return null;
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// What the binder refused, named by the JSON path it stopped at: not JSON at all; a field that is not one of
    /// ours; one of ours given twice (no inner error) or not of its type (the reader's InvalidOperationException,
    /// which is also what a lone surrogate such as \ud800 raises); or, at the root, a field name that is not text
    /// (a lone surrogate) or a body that is not an object.
    /// </summary>
    private static IResult BindingProblem(JsonException e)
    {
        if (e.InnerException is JsonException)
        {
            return Problems.Create(400, "invalid-json", "The body is not valid JSON", e.Message,
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["body"] = [$"not valid JSON: {e.Message}"] } });
        }
        var notText = e.InnerException is InvalidOperationException;
        if (FieldOf(e.Path) is not { } field)
        {
            return Invalid(new() { ["body"] = [notText ? "has a field name that is not printable Unicode text" : "must be a JSON object {name, engine, plan}"] });
        }
        if (!StoreRequestJson.Default.Fields.Properties.Any(p => p.Name == field))
        {
            return Invalid(new() { [field] = [$"unknown field (fields: {string.Join(", ", StoreRequestJson.Default.Fields.Properties.Select(p => p.Name))})"] });
        }
        var expected = field == "keepFailed" ? "must be true or false"
            : "must be a string of printable Unicode text (no control character, no lone surrogate such as \\ud800)";
        return Invalid(new() { [field] = [notText ? expected : "is given more than once"] });
    }

    /// <summary>The top-level field a JSON path names ($.name or $['odd name']), or null for the root.</summary>
    private static string? FieldOf(string? path) => path switch
    {
        ['$', '.', .. var name] => name,
        ['$', '[', '\'', .. var name, '\'', ']'] => name,
        _ => null,
    };

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

    /// <summary>The body's fields as sent, before they are checked (public: DataAnnotations calls its checks).</summary>
    public sealed class Fields
    {
        [Required(ErrorMessage = "is required")]
        [RegularExpression(@"^(?=.{3,40}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            ErrorMessage = "must be 3-40 characters of lowercase letters, digits and '-', starting and ending with a letter or digit (a DNS-1123 label)")]
        public string? Name { get; init; }

        [Required(ErrorMessage = "is required")]
        [CustomValidation(typeof(Fields), nameof(IsEngine))]
        public string? Engine { get; init; }

        [CustomValidation(typeof(Fields), nameof(IsPlan))]
        public string? Plan { get; init; }

        public bool KeepFailed { get; init; }

        public static ValidationResult? IsEngine(string? engine, ValidationContext context) => OneOf(engine, Store.Engines, context);

        public static ValidationResult? IsPlan(string? plan, ValidationContext context) => OneOf(plan ?? DefaultPlan, StorePlans.Names, context);

        private static ValidationResult? OneOf(string? value, string[] allowed, ValidationContext context) =>
            value is null || allowed.Contains(value, StringComparer.Ordinal) ? ValidationResult.Success
                : new ValidationResult($"must be one of {string.Join(", ", allowed)}", [context.MemberName!]);
    }
}

/// <summary>The binder of store request bodies: strict, and generated at build time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, AllowDuplicateProperties = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true, MaxDepth = 8)]
[JsonSerializable(typeof(StoreRequestBody.Fields))]
internal sealed partial class StoreRequestJson : JsonSerializerContext;

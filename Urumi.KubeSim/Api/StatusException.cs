using System.Text.Json.Nodes;

namespace Urumi.KubeSim.Api;

/// <summary>A failure answered as a metav1.Status with the reason, code and message a real API server uses.</summary>
public sealed class StatusException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = Details?.DeepClone() ?? new JsonObject(),
        ["code"] = Code,
    };

    private static JsonObject Detail(ResourceType type, string name) => type.Group.Length == 0
        ? new JsonObject { ["name"] = name, ["kind"] = type.Resource }
        : new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Resource };

    public static StatusException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedResource} \"{name}\" not found", Detail(type, name));

    public static StatusException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedResource} \"{name}\" already exists", Detail(type, name));

    public static StatusException Conflict(ResourceType type, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", Detail(type, name));

    public static StatusException Forbidden(ResourceType type, string name, string why, JsonArray? causes = null)
    {
        var details = Detail(type, name);
        if (causes is not null)
        {
            details["causes"] = causes;
        }

        return new(403, "Forbidden", $"{type.QualifiedResource} \"{name}\" is forbidden: {why}", details);
    }

    public static StatusException Invalid(ResourceType type, string name, IReadOnlyList<FieldError> errors)
    {
        var details = Detail(type, name);
        details["kind"] = type.Kind;
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
        {
            ["reason"] = e.Reason,
            ["message"] = e.Message,
            ["field"] = e.Field,
        }).ToArray());
        var list = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]";
        return new(422, "Invalid", $"{type.QualifiedKind} \"{name}\" is invalid: {list}", details);
    }

    public static StatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static StatusException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {contentType})");

    public static StatusException MethodNotSupported(ResourceType type, string verb) =>
        new(405, "MethodNotAllowed", $"{verb} is not supported on resources of kind \"{type.QualifiedResource}\"", new JsonObject { ["group"] = type.Group, ["kind"] = type.Resource });

    public static StatusException ResourceNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static StatusException Gone(string message) => new(410, "Expired", message);

    public static StatusException Unauthorized() => new(401, "Unauthorized", "Unauthorized");
}

/// <summary>One cause of an Invalid error, formatted as the real server formats field errors.</summary>
public sealed record FieldError(string Field, string Reason, string Message)
{
    public static FieldError Required(string field) => new(field, "FieldValueRequired", "Required value");

    public static FieldError InvalidValue(string field, string value, string detail) =>
        new(field, "FieldValueInvalid", $"Invalid value: \"{value}\": {detail}");

    public static FieldError Unsupported(string field, string value, IEnumerable<string> supported) =>
        new(field, "FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}");

    public override string ToString() => $"{Field}: {Message}";
}

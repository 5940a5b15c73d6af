using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Urumi.Hosting.Management;

/// <summary>
/// The payload type of each external event an app's orchestrators wait for, registered by the app (in DI). The
/// management API's raiseEvent refuses, with a 400, a payload that the waiting orchestrator could not read: an event
/// whose payload cannot be read otherwise fails the orchestration where it waits, or makes it retry forever. Events
/// not registered pass unchecked. Names match case-insensitively, as the SDK matches event names.
/// </summary>
public sealed class KnownEvents
{
    private readonly Dictionary<(string Orchestrator, string Event), Type> _types = new(new NameComparer());

    /// <summary>What the check reads a payload as: the worker's JSON, and nothing missing that the type requires.</summary>
    private static readonly JsonSerializerOptions _strict = new(WorkerJson.Options)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Declares that <paramref name="orchestrator"/> waits for <paramref name="eventName"/> as a <typeparamref name="T"/>.</summary>
    public KnownEvents Add<T>(string orchestrator, string eventName)
    {
        _types[(orchestrator, eventName)] = typeof(T);
        return this;
    }

    /// <summary>Null when the payload can be read as the event's type (or the event is not registered), else why not.</summary>
    public string? Problem(string orchestrator, string eventName, JsonElement? payload)
    {
        if (!_types.TryGetValue((orchestrator, eventName), out var type))
        {
            return null;
        }
        var expected = $"Orchestrator '{orchestrator}' reads event '{eventName}' as {Describe(type)}";
        if (payload is not { ValueKind: not JsonValueKind.Null } json)
        {
            return $"{expected}; the body is empty or null.";
        }
        try
        {
            return json.Deserialize(type, _strict) is null ? $"{expected}; the body is null." : null;
        }
        catch (JsonException e)
        {
            return $"{expected}: {e.Message}";
        }
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "a boolean",
        _ when type == typeof(string) => "a string",
        _ => $"a JSON object of {type.Name}",
    };

    private sealed class NameComparer : IEqualityComparer<(string Orchestrator, string Event)>
    {
        public bool Equals((string Orchestrator, string Event) x, (string Orchestrator, string Event) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Orchestrator, y.Orchestrator)
            && StringComparer.OrdinalIgnoreCase.Equals(x.Event, y.Event);

        public int GetHashCode((string Orchestrator, string Event) key) => HashCode.Combine(
            StringComparer.OrdinalIgnoreCase.GetHashCode(key.Orchestrator),
            StringComparer.OrdinalIgnoreCase.GetHashCode(key.Event));
    }
}

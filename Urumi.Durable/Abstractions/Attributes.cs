namespace Urumi.Durable;

/// <summary>Declares a function (HTTP, orchestrator or activity) by name.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FunctionAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Marks the <see cref="TaskOrchestrationContext"/> parameter of an orchestrator function.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class OrchestrationTriggerAttribute : Attribute;

/// <summary>Marks the input parameter of an activity function.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ActivityTriggerAttribute : Attribute;

/// <summary>Marks a <see cref="Client.DurableTaskClient"/> parameter to be bound.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class DurableClientAttribute : Attribute;

/// <summary>Who may call an HTTP function.</summary>
public enum AuthorizationLevel
{
    Anonymous,
    Function,
    Admin,
}

/// <summary>Marks the HttpRequest parameter of an HTTP function.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class HttpTriggerAttribute(AuthorizationLevel authLevel, params string[] methods) : Attribute
{
    public AuthorizationLevel AuthLevel { get; } = authLevel;

    public string[] Methods { get; } = methods;

    /// <summary>Route template under the route prefix; defaults to the function name.</summary>
    public string? Route { get; set; }
}

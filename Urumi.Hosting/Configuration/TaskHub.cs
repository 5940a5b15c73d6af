using Microsoft.Extensions.Configuration;

namespace Urumi.Hosting.Configuration;

/// <summary>The task hub's name, from host.json's extensions.durableTask.hubName as Durable Functions reads it.</summary>
public static class TaskHub
{
    /// <summary>Durable Functions' default when host.json names none.</summary>
    public const string DefaultName = "TestHubName";

    public static string Name(IConfiguration configuration) =>
        configuration[$"{FunctionsHostConfiguration.HostSection}:extensions:durableTask:hubName"] is { Length: > 0 } name ? name : DefaultName;
}

using Microsoft.Extensions.Configuration;

namespace Urumi.Hosting.Configuration;

/// <summary>
/// The task hub's name, from host.json's extensions.durableTask.hubName: the one place that reads it. The self-host's
/// <see cref="DurableTaskHubOptions.HubName"/> is bound from the same key with the same default, so both name one hub.
/// </summary>
public static class TaskHub
{
    /// <summary>Durable Functions' default when host.json names none (running locally).</summary>
    public const string DefaultName = "TestHubName";

    /// <summary>The key under <see cref="DurableTaskHubOptions.Section"/>; read as the options binder reads it.</summary>
    public static string Name(IConfiguration configuration) =>
        configuration.GetSection(DurableTaskHubOptions.Section)[nameof(DurableTaskHubOptions.HubName)] ?? DefaultName;
}

namespace Urumi.Hosting.Management;

/// <summary>
/// The orchestrator names a host runs. Registered in DI, it lets the management API's start route answer 400 for a
/// name no worker runs (matching names case-insensitively, as Functions does); without it every name is accepted.
/// </summary>
public sealed class KnownOrchestrators(IEnumerable<string> names)
{
    private readonly IReadOnlyList<string> _names = [.. names.Distinct(StringComparer.OrdinalIgnoreCase).Order()];

    public IReadOnlyList<string> Names => _names;

    /// <summary>The registered spelling of <paramref name="name"/>, or null when none has that name.</summary>
    public string? Resolve(string name) =>
        _names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
}

namespace Urumi.Medusa.Tests.Support;

/// <summary>One container of the rendered chart as a process: its command and its resolved environment.</summary>
public sealed record ContainerRun(string Name, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The same container with some variables replaced (a port of its own on this machine).</summary>
    public ContainerRun With(string variable, string value) =>
        this with { Environment = new Dictionary<string, string>(Environment) { [variable] = value } };
}

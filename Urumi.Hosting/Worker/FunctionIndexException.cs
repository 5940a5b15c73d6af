namespace Urumi.Hosting.Worker;

/// <summary>Thrown at start when durable functions cannot be run as declared; one line per problem, each naming the method.</summary>
public sealed class FunctionIndexException(IReadOnlyList<string> problems)
    : Exception("Durable functions that cannot be run:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "- " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

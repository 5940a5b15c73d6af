namespace Urumi.Durable.Worker;

/// <summary>The app's functions are declared wrongly; start-up stops with every problem listed.</summary>
public sealed class FunctionIndexingException(IReadOnlyList<string> problems)
    : Exception("The function app cannot start:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

using System.Reflection;

namespace Urumi.Hosting.Worker;

/// <summary>One orchestrator or activity found by <see cref="FunctionIndex"/>: its method and how to call it.</summary>
/// <param name="Name">The [Function] name, the name orchestrations schedule it by.</param>
/// <param name="Kind">Orchestrator or activity.</param>
/// <param name="Method">The method; an instance method's class is created per invocation.</param>
/// <param name="Arguments">What to pass to each parameter, in order.</param>
/// <param name="InputType">The type the input is deserialized to (object when the method takes no input).</param>
/// <param name="OutputType">The result type (Task&lt;T&gt; and ValueTask&lt;T&gt; unwrapped; object for none).</param>
public sealed record DurableFunction(
    string Name,
    DurableFunctionKind Kind,
    MethodInfo Method,
    IReadOnlyList<FunctionArgument> Arguments,
    Type InputType,
    Type OutputType)
{
    /// <summary>The method as people write it: Namespace.Class.Method.</summary>
    public string MethodName => $"{Method.DeclaringType?.FullName}.{Method.Name}";
}

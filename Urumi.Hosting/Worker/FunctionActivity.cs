using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Urumi.Hosting.Worker;

/// <summary>
/// A [Function] activity as the SDK's <see cref="ITaskActivity"/>, created in the invocation's DI scope: an instance
/// method's class gets its constructor's services from that scope.
/// </summary>
internal sealed class FunctionActivity(DurableFunction function, IServiceProvider scope) : ITaskActivity
{
    public Type InputType => function.InputType;

    public Type OutputType => function.OutputType;

    public Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        var cancellation = scope.GetService<ActivityInvocation>()?.Cancellation ?? CancellationToken.None;
        var target = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope, function.Method.DeclaringType!);
        var arguments = function.Arguments.Select(argument => argument switch
        {
            FunctionArgument.Input => input,
            FunctionArgument.FunctionContext => new SelfHostedFunctionContext(function, scope, cancellation),
            _ => (object?)cancellation,
        }).ToArray();
        return FunctionInvoker.InvokeAsync(function, target, arguments);
    }
}

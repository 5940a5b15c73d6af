using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Worker;

/// <summary>
/// A [Function] orchestrator as the SDK's <see cref="ITaskOrchestrator"/>. An instance method's class is created
/// for each execution from the app's root services: an orchestrator replays, so it must not hold scoped services.
/// </summary>
internal sealed class FunctionOrchestrator(DurableFunction function, IServiceProvider services, DataConverter converter)
    : ITaskOrchestrator
{
    public Type InputType => function.InputType;

    public Type OutputType => function.OutputType;

    public Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
    {
        var wrapped = new FunctionOrchestrationContext(context, input, converter, services.GetRequiredService<ILoggerFactory>());
        var target = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, function.Method.DeclaringType!);
        var arguments = function.Arguments.Select(argument => argument switch
        {
            FunctionArgument.OrchestrationContext => wrapped,
            FunctionArgument.Input => input,
            FunctionArgument.FunctionContext => new SelfHostedFunctionContext(function, services, CancellationToken.None),
            _ => (object?)CancellationToken.None,
        }).ToArray();
        return FunctionInvoker.InvokeAsync(function, target, arguments);
    }
}

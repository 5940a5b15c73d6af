using DurableTask.Core;
using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;

namespace Urumi.Hosting.Worker;

/// <summary>
/// One activity invocation for DurableTask.Core: a DI scope is created, the activity is made in it by the SDK's
/// factory and run through the SDK's shim (input and output conversion, logs), and the scope is disposed after. An
/// activity cancelled because the worker is stopping is abandoned (its message returns to the queue) rather than
/// reported failed, so it runs again on this or another worker.
/// </summary>
internal sealed class ScopedTaskActivity(
    TaskName name,
    IDurableTaskFactory factory,
    IServiceScopeFactory scopes,
    DurableTaskShimFactory shims,
    CancellationToken stopping) : TaskActivity
{
    public override string Run(TaskContext context, string input) =>
        throw new NotSupportedException("The self-host runs activities asynchronously, through RunAsync.");

    public override async Task<string> RunAsync(TaskContext context, string input)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<ActivityInvocation>().Cancellation = stopping;
        if (!factory.TryCreateActivity(name, scope.ServiceProvider, out var activity))
        {
            throw new InvalidOperationException($"No activity named '{name}' is registered with this worker.");
        }
        try
        {
            return (await shims.CreateActivity(name, activity).RunAsync(context, input))!;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw new SessionAbortedException($"The worker is stopping: activity '{name}' is abandoned and will run again.");
        }
    }
}

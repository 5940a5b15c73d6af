using DurableTask.Core;
using DurableTask.Core.Middleware;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The SDK's orchestration shim, made once DurableTask.Core's dispatch pipeline has the execution's runtime state, so
/// that a sub-orchestration's context.Parent names its caller (DurableTask.Core asks for the orchestration object by
/// name only, before it has read the history).
/// </summary>
internal sealed class ParentAwareOrchestration(TaskName name, ITaskOrchestrator orchestrator, DurableTaskShimFactory shims)
    : TaskOrchestration
{
    private TaskOrchestration? _shim;

    private TaskOrchestration Shim => _shim ??= shims.CreateOrchestration(name, orchestrator);

    /// <summary>The orchestration dispatcher's middleware: binds the execution's parent before it runs.</summary>
    public static Task BindAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        if (context.GetProperty<TaskOrchestration>() is ParentAwareOrchestration orchestration)
        {
            orchestration.Bind(context.GetProperty<OrchestrationRuntimeState>()?.ParentInstance);
        }
        return next();
    }

    private void Bind(ParentInstance? parent) =>
        _shim ??= shims.CreateOrchestration(
            name, orchestrator, parent is null ? null : new ParentOrchestrationInstance(parent.Name, parent.OrchestrationInstance.InstanceId));

    public override Task<string> Execute(OrchestrationContext context, string input) => Shim.Execute(context, input);

    public override string GetStatus() => Shim.GetStatus();

    public override void RaiseEvent(OrchestrationContext context, string name, string input) => Shim.RaiseEvent(context, name, input);
}

using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace Urumi.Hosting.Worker;

/// <summary>
/// Gives DurableTask.Core's orchestration dispatcher, for each execution, the SDK's shim over the orchestrator the
/// SDK's factory makes (null for an unknown name, which DurableTask.Core reports as a missing type).
/// </summary>
internal sealed class OrchestrationObjectManager(IDurableTaskFactory factory, IServiceProvider services, DurableTaskShimFactory shims)
    : INameVersionObjectManager<TaskOrchestration>
{
    public void Add(ObjectCreator<TaskOrchestration> creator) =>
        throw new NotSupportedException("Orchestrators are registered in the SDK's DurableTaskRegistry.");

    public TaskOrchestration GetObject(string name, string? version) =>
        factory.TryCreateOrchestrator(name, services, out var orchestrator) ? new ParentAwareOrchestration(name, orchestrator, shims) : null!;
}

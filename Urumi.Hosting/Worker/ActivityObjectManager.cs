using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;

namespace Urumi.Hosting.Worker;

/// <summary>
/// Gives DurableTask.Core's activity dispatcher an activity for any name; an unknown name fails when it runs, so the
/// orchestration that called it sees a TaskFailedException naming it instead of a work item retried forever.
/// </summary>
internal sealed class ActivityObjectManager(
    IDurableTaskFactory factory, IServiceScopeFactory scopes, DurableTaskShimFactory shims, CancellationToken stopping)
    : INameVersionObjectManager<TaskActivity>
{
    public void Add(ObjectCreator<TaskActivity> creator) =>
        throw new NotSupportedException("Activities are registered in the SDK's DurableTaskRegistry.");

    public TaskActivity GetObject(string name, string? version) =>
        new ScopedTaskActivity(name, factory, scopes, shims, stopping);
}

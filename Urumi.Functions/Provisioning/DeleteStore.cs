using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Provisioning;

/// <summary>The input of DeleteStore.</summary>
public sealed record DeleteRequest(string StoreId, string Owner, Requester RequestedBy, string? ProvisionInstanceId, ProvisioningPolicy Policy);

/// <summary>
/// Deletes one store: waits for an in-flight provisioning to stop, uninstalls the release (not found is fine),
/// deletes the namespace, waits until it is gone (or reports why it is stuck), and marks the store Deleted.
/// The record stays, for the audit trail.
/// </summary>
public static class DeleteStore
{
    [Function(nameof(DeleteStore))]
    public static async Task<DeleteResult> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var r = context.GetInput<DeleteRequest>()!;
        var retry = r.Policy.Retry();
        await ApplyAsync(context, r, new StoreEvent.DeleteRequested(), retry);

        if (r.ProvisionInstanceId is { } provisioning)
        {
            var until = context.CurrentUtcDateTime + r.Policy.StopWait();
            while (context.CurrentUtcDateTime < until && await context.CallActivityAsync<bool>(nameof(StoreActivities.IsInstanceRunning), provisioning, retry))
            {
                try
                {
                    await context.WaitForExternalEvent<string>(ProvisionStore.StoppedEvent, r.Policy.PollInterval * 5);
                    break;
                }
                catch (TaskCanceledException)
                {
                    // Not stopped yet (or it finished without seeing the cancel): look again.
                }
            }
        }

        await ApplyAsync(context, r, new StoreEvent.DeleteStep(StoreStep.Uninstall, 30), retry);
        var removed = false;
        string? uninstallError = null;
        try
        {
            removed = await context.CallActivityAsync<bool>(nameof(StoreActivities.UninstallRelease), new StoreTarget(r.StoreId, r.Owner), retry);
        }
        catch (TaskFailedException e)
        {
            // The namespace deletion below removes what the release made; the error stays on record.
            uninstallError = e.FailureDetails.ErrorMessage;
        }

        await ApplyAsync(context, r, new StoreEvent.DeleteStep(StoreStep.DeleteNamespace, 60), retry);
        var existed = await context.CallActivityAsync<bool>(nameof(StoreActivities.DeleteNamespace), new StoreTarget(r.StoreId, r.Owner), retry);
        var stuck = await ProvisionStore.WaitForNamespaceGoneAsync(context, new StoreTarget(r.StoreId, r.Owner), r.Policy, retry);
        if (stuck is not null)
        {
            await ApplyAsync(context, r, new StoreEvent.NamespaceStuck(stuck), retry);
            return new DeleteResult(DeleteOutcome.Stuck, removed, false, stuck);
        }

        await ApplyAsync(context, r, new StoreEvent.Deleted(uninstallError), retry);
        return new DeleteResult(DeleteOutcome.Deleted, removed, existed, uninstallError);
    }

    private static Task<StoreTransition> ApplyAsync(TaskOrchestrationContext context, DeleteRequest r, StoreEvent e, TaskOptions retry) =>
        context.CallActivityAsync<StoreTransition>(nameof(StoreActivities.ApplyStoreEvent), new StoreChange(r.StoreId, r.Owner, e), retry);
}

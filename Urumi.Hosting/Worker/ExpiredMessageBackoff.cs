using Azure;
using DurableTask.Core;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The task hub's orchestration service as the TaskHubWorker sees it: every call goes to DurableTask.AzureStorage,
/// except the dispatchers' back-off after a failed work item, which is 0 s when the work item failed only because its
/// queue message had become visible again (its visibility timeout passed, so its pop receipt no longer matches, or a
/// redelivery already deleted it), and the service's own figure (10 s) otherwise.
/// </summary>
/// <remarks>
/// Why: after a failed work item DurableTask.Core's WorkItemDispatcher waits that back-off after every fetch until
/// five work items succeed. Messages the service has already dequeued wait meanwhile, and with visibility timeouts of
/// tens of seconds (ours, for recovery) they expire, fail with PopReceiptMismatch when deleted, and restart the back-off:
/// a storage outage then never ends for the worker (seen in AzuriteRestartTests with 10 s timeouts). Such a failure
/// needs no back-off: storage answered, and the redelivered message is processed again.
/// </remarks>
public sealed class ExpiredMessageBackoff(IOrchestrationService inner) : IOrchestrationService
{
    /// <summary>Whether <paramref name="exception"/> (or one inside it) is storage saying the message's dequeue is no longer this worker's.</summary>
    public static bool IsExpiredMessage(Exception exception) => exception switch
    {
        RequestFailedException { ErrorCode: "PopReceiptMismatch" or "MessageNotFound" } => true,
        // Several failures together are an expired message only when each is: one real storage failure keeps the back-off.
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsExpiredMessage),
        { InnerException: { } cause } => IsExpiredMessage(cause),
        _ => false,
    };

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) =>
        IsExpiredMessage(exception) ? 0 : inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task StartAsync() => inner.StartAsync();

    public Task StopAsync() => inner.StopAsync();

    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages,
            continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) =>
        inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
}

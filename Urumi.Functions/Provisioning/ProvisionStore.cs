using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// Provisions one store: record it, wait for a slot at the gate, then namespace, guardrails, credentials, helm,
/// rollout check, Ready. The work races an overall deadline (a durable timer) and a "Cancel" event (delete);
/// on failure the release and namespace are removed unless keepFailed, and the store is Failed with the reason.
/// </summary>
public static class ProvisionStore
{
    public const string CancelEvent = "Cancel";
    public const string StoppedEvent = "ProvisioningStopped";

    [Function(nameof(ProvisionStore))]
    public static async Task<ProvisionResult> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var r = context.GetInput<StoreRequest>()!;
        var retry = r.Policy.Retry();
        // Queue at the gate while the store is recorded. The deadline's timer goes out now too, beside the gate's
        // message (its own step would be one more storage round trip); it is extended below by the time spent queued.
        context.SendEvent(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateSignal.Acquire, context.InstanceId));
        using var deadlineTimer = new CancellationTokenSource();
        var firstDeadline = context.CreateTimer(r.Policy.Deadline, deadlineTimer.Token);
        var granted = context.WaitForExternalEvent<bool>(ProvisioningGate.GrantedEvent);
        var live = await context.CallActivityAsync<bool>(nameof(StoreActivities.RecordStore), r, retry);
        if (!live)
        {
            Release(context);
            return new ProvisionResult("Skipped", "the store is being deleted, or the request that made it was refused");
        }

        using var cancelWait = new CancellationTokenSource();
        var cancel = context.WaitForExternalEvent<CancelRequest>(CancelEvent, cancelWait.Token);
        if (await Task.WhenAny(granted, cancel) == cancel)
        {
            return Stopped(context, cancel.Result, "deleted while queued");
        }

        var deadline = DeadlineAsync(context, firstDeadline, context.CurrentUtcDateTime + r.Policy.Deadline, deadlineTimer.Token);
        var step = new StepTracker();
        var work = WorkAsync(context, r, retry, step);
        var winner = await Task.WhenAny(work, cancel, deadline);
        step.Stopped = true;
        if (winner == cancel)
        {
            deadlineTimer.Cancel();
            await context.CallActivityAsync<bool>(nameof(StoreActivities.InterruptHelm), r.StoreId);
            return Stopped(context, cancel.Result, "deleted while provisioning");
        }
        cancelWait.Cancel();
        string reason;
        if (winner == work && work.IsCompletedSuccessfully)
        {
            deadlineTimer.Cancel();
            Release(context);
            return new ProvisionResult("Ready", Url: r.Url);
        }
        if (winner == deadline)
        {
            reason = $"the provisioning deadline ({r.Policy.Deadline}) passed during step {step.Current}";
            await context.CallActivityAsync<bool>(nameof(StoreActivities.InterruptHelm), r.StoreId);
        }
        else
        {
            deadlineTimer.Cancel();
            reason = $"step {step.Current} failed: {Reason(work.Exception?.InnerException)}";
        }

        await context.CallActivityAsync<Store>(nameof(StoreActivities.UpdateStore), new StoreUpdate(r.StoreId, r.Owner, Step: r.KeepFailed ? "KeepingFailed" : "CleaningUp", LastError: reason,
            Conditions: [new(StoreConditions.Ready, "False", "ProvisioningFailed", reason)]), retry);
        var cleaned = r.KeepFailed || await CleanUpAsync(context, r.Target, r.Policy, retry);
        var kept = r.KeepFailed ? " (keepFailed: the release and namespace are left for debugging)" : cleaned ? "" : " (cleanup did not finish: see the store's events)";
        await context.CallActivityAsync<Store>(nameof(StoreActivities.UpdateStore), new StoreUpdate(r.StoreId, r.Owner, StorePhase.Failed, "Failed", 100, LastError: reason + kept,
            HoldsResources: !cleaned || r.KeepFailed,
            Conditions: [new(StoreConditions.Reconciling, "False", "ProvisioningFailed", reason)]), retry);
        Release(context);
        await context.CallActivityAsync(nameof(StoreActivities.ReportTimings), new StoreTimingReport(r.StoreId, "Failed"));
        return new ProvisionResult("Failed", reason + kept);
    }

    /// <summary>Ends at <paramref name="due"/>: the timer made with the request, then one more for the time the store waited at the gate.</summary>
    private static async Task DeadlineAsync(TaskOrchestrationContext context, Task first, DateTime due, CancellationToken ct)
    {
        await first;
        if (context.CurrentUtcDateTime < due)
        {
            await context.CreateTimer(due, ct);
        }
    }

    /// <summary>The steps (each activity shows its step on the store's row); stops scheduling new ones once the race is lost.</summary>
    private static async Task WorkAsync(TaskOrchestrationContext context, StoreRequest r, TaskOptions retry, StepTracker step)
    {
        step.Enter("Namespace");
        await context.CallActivityAsync(nameof(StoreActivities.PrepareNamespace), r, retry);
        step.Enter("Install");
        await context.CallActivityAsync<InstallOutcome>(nameof(StoreActivities.InstallRelease), r, retry);
        step.Enter("Verify");
        await context.CallActivityAsync<string>(nameof(StoreActivities.VerifyRollout), r, retry);
    }

    /// <summary>Removes the release and the namespace and waits for the namespace to go; false when it did not.</summary>
    internal static async Task<bool> CleanUpAsync(TaskOrchestrationContext context, StoreTarget store, ProvisioningPolicy policy, TaskOptions retry)
    {
        try
        {
            await context.CallActivityAsync<bool>(nameof(StoreActivities.UninstallRelease), store, retry);
        }
        catch (TaskFailedException)
        {
            // Deleting the namespace removes what the release made anyway.
        }
        await context.CallActivityAsync<bool>(nameof(StoreActivities.DeleteNamespace), store, retry);
        return (await WaitForNamespaceGoneAsync(context, store, policy, retry)) is null;
    }

    /// <summary>Polls with durable timers until the namespace is gone; otherwise returns why it is still there.</summary>
    internal static async Task<string?> WaitForNamespaceGoneAsync(TaskOrchestrationContext context, StoreTarget store, ProvisioningPolicy policy, TaskOptions retry)
    {
        var until = context.CurrentUtcDateTime + policy.NamespaceDeletionTimeout;
        var state = await context.CallActivityAsync<Cluster.NamespaceState>(nameof(StoreActivities.ReadNamespace), store, retry);
        while (state.Exists && context.CurrentUtcDateTime < until)
        {
            await context.CreateTimer(policy.PollInterval, CancellationToken.None);
            state = await context.CallActivityAsync<Cluster.NamespaceState>(nameof(StoreActivities.ReadNamespace), store, retry);
        }
        return !state.Exists ? null : $"namespace {store.StoreId} is still {state.Phase ?? "there"} after {policy.NamespaceDeletionTimeout}: " +
            (state.Conditions.Count == 0 ? "no condition explains it" : string.Join("; ", state.Conditions));
    }

    private static ProvisionResult Stopped(TaskOrchestrationContext context, CancelRequest cancel, string why)
    {
        Release(context);
        context.SendEvent(cancel.DeleteInstanceId, StoppedEvent, context.InstanceId);
        return new ProvisionResult("Stopped", why);
    }

    private static void Release(TaskOrchestrationContext context) =>
        context.SendEvent(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateSignal.Release, context.InstanceId));

    private static string Reason(Exception? e) => e switch
    {
        TaskFailedException t => Innermost(t.FailureDetails),
        null => "unknown",
        _ => e.Message,
    };

    private static string Innermost(TaskFailureDetails details) =>
        details.ErrorType == typeof(TransientStoreException).FullName ? $"still failing after retries: {details.ErrorMessage}" : details.ErrorMessage;

    /// <summary>The step the work is in, and whether the race is over (then no new step starts).</summary>
    private sealed class StepTracker
    {
        public string Current { get; private set; } = "Queued";

        public bool Stopped { get; set; }

        public void Enter(string name)
        {
            if (Stopped)
            {
                throw new OperationCanceledException("the provisioning was stopped");
            }
            Current = name;
        }
    }
}

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

    /// <summary>
    /// The orchestration's version, given when it is started (<see cref="StartOptions"/>), read back by its replays.
    /// "2" asks the gate for a slot in the episode that records the store. Instances started by an earlier build
    /// (no version) ask after that episode, as their histories say: a replay must schedule what it scheduled before.
    /// </summary>
    public const string Version = "2";

    /// <summary>How every ProvisionStore is started: its instance id and this build's <see cref="Version"/>.</summary>
    public static StartOrchestrationOptions StartOptions(string instanceId) => new(instanceId) { Version = Version };

    [Function(nameof(ProvisionStore))]
    public static async Task<ProvisionResult> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var r = context.GetInput<StoreRequest>()!;
        var retry = r.Policy.Retry();
        // Its place at the gate is its own custom status (the gate keeps no list of who waits), written with the
        // episode that records the store. The deadline's timer goes out now: it bounds the wait for a slot, and is
        // extended below by the time queued.
        context.SetCustomStatus(new GateTicket(GatePlace.Waiting));
        using var deadlineTimer = new CancellationTokenSource();
        var firstDeadline = context.CreateTimer(r.Policy.Deadline, deadlineTimer.Token);
        var granted = context.WaitForExternalEvent<bool>(ProvisioningGate.GrantedEvent);
        // The gate's round trip runs beside the row's write (two queue hops fewer before the first step). The acquire
        // can reach the gate a moment before the status above is written; the gate keeps counting an asker its read
        // misses and reads again (ProvisioningGate.Admit). A start by a recovery asks only once it knows its POST holds
        // the claims.
        var askFirst = context.Version == Version
            && !(r.Attempt == 1 && r.Policy.StartedByRecovery(new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero) - r.RequestedAt));
        if (askFirst)
        {
            Acquire(context);
        }
        if (!await RecordOrFailAsync(context, r, retry, deadlineTimer, askFirst))
        {
            // Every exit cancels the deadline's timer: nothing waits on it (an in-memory host waits for it otherwise).
            deadlineTimer.Cancel();
            if (askFirst)
            {
                Release(context);
            }
            else
            {
                context.SetCustomStatus(null);
            }
            return new ProvisionResult(ProvisionOutcome.Skipped, "the store is being deleted, or the request that made it was refused");
        }
        if (!askFirst)
        {
            Acquire(context);
        }

        using var cancelWait = new CancellationTokenSource();
        var cancel = context.WaitForExternalEvent<CancelRequest>(CancelEvent, cancelWait.Token);
        var queued = await Task.WhenAny(granted, cancel, firstDeadline);
        if (queued == cancel)
        {
            deadlineTimer.Cancel();
            return Stopped(context, cancel.Result, "deleted while queued");
        }
        if (queued == firstDeadline)
        {
            cancelWait.Cancel();
            return await QueueDeadlinePassedAsync(context, r, retry);
        }
        context.SetCustomStatus(new GateTicket(GatePlace.Holding));

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
            return new ProvisionResult(ProvisionOutcome.Ready, Url: r.Url);
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

        await ApplyAsync(context, r, new StoreEvent.Failing(r.Attempt, reason, r.KeepFailed), retry);
        var cleaned = r.KeepFailed || await CleanUpAsync(context, r.Target, r.Policy, retry);
        await ApplyAsync(context, r, new StoreEvent.Failed(r.Attempt, reason, r.KeepFailed, cleaned), retry);
        Release(context);
        await context.CallActivityAsync(nameof(StoreActivities.ReportTimings), new StoreTimingReport(r.StoreId, "Failed", r.Engine, r.RequestedAt));
        return new ProvisionResult(ProvisionOutcome.Failed, StoreLifecycle.FailureText(reason, r.KeepFailed, cleaned));
    }

    /// <summary>
    /// <see cref="RecordAsync"/>; when it fails for good the deadline's timer is cancelled, and a slot already asked
    /// for given back, before the orchestration fails.
    /// </summary>
    private static async Task<bool> RecordOrFailAsync(TaskOrchestrationContext context, StoreRequest r, TaskOptions retry, CancellationTokenSource deadlineTimer, bool asked)
    {
        try
        {
            return await RecordAsync(context, r, retry);
        }
        catch (TaskFailedException)
        {
            deadlineTimer.Cancel();
            if (asked)
            {
                Release(context);
            }
            throw;
        }
    }

    /// <summary>
    /// Writes the store's row for this attempt; false when it must not run: the store is deleted (or, for a retry, being
    /// deleted), or, for a first provisioning started by a recovery, its POST holds no claims.
    /// </summary>
    private static async Task<bool> RecordAsync(TaskOrchestrationContext context, StoreRequest r, TaskOptions retry)
    {
        if (r.Attempt > 1)
        {
            return (await ApplyAsync(context, r, new StoreEvent.Requeued(r.Attempt), retry)).Applied;
        }
        if (r.Policy.StartedByRecovery(new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero) - r.RequestedAt)
            && !await context.CallActivityAsync<bool>(nameof(StoreActivities.HoldsClaims), r, retry))
        {
            return false;
        }
        return (await ApplyAsync(context, r, r.Accepted, retry)).Store is { Phase: not StorePhase.Deleted };
    }

    internal static Task<StoreTransition> ApplyAsync(TaskOrchestrationContext context, StoreRequest r, StoreEvent e, TaskOptions retry) =>
        context.CallActivityAsync<StoreTransition>(nameof(StoreActivities.ApplyStoreEvent), new StoreChange(r.StoreId, r.Owner, e), retry);

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
        step.Enter(StoreStep.Namespace);
        await context.CallActivityAsync(nameof(StoreActivities.PrepareNamespace), r, retry);
        step.Enter(StoreStep.Install);
        await context.CallActivityAsync<InstallOutcome>(nameof(StoreActivities.InstallRelease), r, retry);
        step.Enter(StoreStep.Verify);
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
        return new ProvisionResult(ProvisionOutcome.Stopped, why);
    }

    private static void Acquire(TaskOrchestrationContext context) =>
        context.SendEvent(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateOp.Acquire, context.InstanceId));

    /// <summary>Gives the slot back (or leaves the queue): the gate is told, and the provisioning no longer shows a place.</summary>
    private static void Release(TaskOrchestrationContext context)
    {
        context.SetCustomStatus(null);
        context.SendEvent(ProvisioningGate.InstanceId, ProvisioningGate.SignalEvent, new GateSignal(GateOp.Release, context.InstanceId));
    }

    /// <summary>The store waited a whole provisioning deadline for a slot: it fails with that reason (nothing was made yet).</summary>
    private static async Task<ProvisionResult> QueueDeadlinePassedAsync(TaskOrchestrationContext context, StoreRequest r, TaskOptions retry)
    {
        var reason = $"the provisioning deadline ({r.Policy.Deadline}) passed while the store waited for a provisioning slot";
        // A slot granted at the same moment goes back to the gate.
        Release(context);
        await ApplyAsync(context, r, new StoreEvent.QueueDeadlinePassed(r.Attempt, reason), retry);
        await context.CallActivityAsync(nameof(StoreActivities.ReportTimings), new StoreTimingReport(r.StoreId, "Failed", r.Engine, r.RequestedAt));
        return new ProvisionResult(ProvisionOutcome.Failed, reason);
    }

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
        public StoreStep Current { get; private set; } = StoreStep.Queued;

        public bool Stopped { get; set; }

        public void Enter(StoreStep name)
        {
            if (Stopped)
            {
                throw new OperationCanceledException("the provisioning was stopped");
            }
            Current = name;
        }
    }
}

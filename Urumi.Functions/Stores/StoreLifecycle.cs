namespace Urumi.Functions.Stores;

/// <summary>
/// Every decision about a store's row, as one pure function: the store as it is (or null), an event, the time;
/// out comes the store as it becomes, or the same store and why the event changes nothing. Orchestrations and
/// activities name the event; <see cref="StoreRowWriter"/> reads the row, applies this and writes it with its ETag.
/// </summary>
public static class StoreLifecycle
{
    public const string QueuedMessage = "Waiting for a provisioning slot";

    public static StoreTransition Apply(Store? store, StoreEvent e, DateTimeOffset now)
    {
        if (store is null)
        {
            return e is StoreEvent.Accepted a ? new(Accept(a, now), null) : new(null, "there is no such store");
        }
        if (store.Phase == StorePhase.Deleted)
        {
            return Refuse(store, "a Deleted store stays Deleted");
        }
        if (Attempt(e) is { } attempt && attempt != store.Attempt)
        {
            return Refuse(store, $"the event is of attempt {attempt}; the store is in attempt {store.Attempt}");
        }
        return e switch
        {
            StoreEvent.Accepted => Refuse(store, "the store is recorded already"),
            StoreEvent.Requeued r => Requeue(store, r, now),
            StoreEvent.StepStarted s => StartStep(store, s, now),
            StoreEvent.Ready r => MakeReady(store, r, now),
            StoreEvent.Failing f => Fail(store, f, now),
            StoreEvent.Failed f => Fail(store, f, now),
            StoreEvent.QueueDeadlinePassed q => FailInQueue(store, q, now),
            StoreEvent.DeleteRequested => Changed(store with { Phase = StorePhase.Deleting, Step = StoreStep.Stopping, Progress = 0 }, now,
                (ConditionType.Ready, ConditionStatus.False, ConditionReason.Deleting, "The store is being deleted"),
                (ConditionType.Reconciling, ConditionStatus.True, ConditionReason.Deleting, "Deleting the store")),
            StoreEvent.DeleteStep d => store.Phase != StorePhase.Deleting
                ? Refuse(store, "only a Deleting store takes delete steps")
                : Changed(store with { Step = d.Step, Progress = d.Progress }, now),
            StoreEvent.NamespaceStuck n => store.Phase != StorePhase.Deleting
                ? Refuse(store, "only a Deleting store has a namespace stuck")
                : Changed(store with { Step = StoreStep.NamespaceStuck, Progress = 60, LastError = n.Reason }, now,
                    (ConditionType.Reconciling, ConditionStatus.False, ConditionReason.NamespaceStuck, n.Reason)),
            StoreEvent.Deleted d => store.Phase != StorePhase.Deleting
                ? Refuse(store, "only a Deleting store becomes Deleted")
                : Changed(store with
                {
                    Phase = StorePhase.Deleted,
                    Step = StoreStep.Deleted,
                    Progress = 100,
                    HoldsResources = false,
                    LastError = d.UninstallError is null ? null : $"helm uninstall failed ({d.UninstallError}); the namespace deletion removed the store anyway",
                }, now,
                    (ConditionType.Ready, ConditionStatus.False, ConditionReason.Deleted, "The store is deleted"),
                    (ConditionType.Reconciling, ConditionStatus.False, ConditionReason.Deleted, "Deleted")),
            _ => throw new ArgumentOutOfRangeException(nameof(e), e, "not a store event"),
        };
    }

    /// <summary>What a failed provisioning's error says: the reason, and what was left of the store.</summary>
    public static string FailureText(string reason, bool keepFailed, bool cleaned) =>
        reason + (keepFailed ? " (keepFailed: the release and namespace are left for debugging)" : cleaned ? "" : " (cleanup did not finish: see the store's events)");

    /// <summary>The admitted store, before its provisioning has run (what the POST answers and the row first holds).</summary>
    public static Store Accept(StoreEvent.Accepted a, DateTimeOffset now) => new()
    {
        Id = a.StoreId,
        Name = a.Name,
        Engine = a.Engine,
        Plan = a.Plan,
        Owner = a.Owner,
        Phase = StorePhase.Queued,
        Step = StoreStep.Queued,
        Progress = 0,
        Conditions = [new(ConditionType.Ready, ConditionStatus.False, ConditionReason.Queued, QueuedMessage, now)],
        CreatedAt = now,
        UpdatedAt = now,
        Attempt = 1,
    };

    private static int? Attempt(StoreEvent e) => e switch
    {
        StoreEvent.StepStarted s => s.Attempt,
        StoreEvent.Ready r => r.Attempt,
        StoreEvent.Failing f => f.Attempt,
        StoreEvent.Failed f => f.Attempt,
        StoreEvent.QueueDeadlinePassed q => q.Attempt,
        _ => null,
    };

    private static StoreTransition Requeue(Store store, StoreEvent.Requeued r, DateTimeOffset now) => store.Phase switch
    {
        StorePhase.Deleting => Refuse(store, "a Deleting store is never queued again"),
        StorePhase.Ready => Refuse(store, "a Ready store is not provisioned again"),
        _ when r.Attempt < store.Attempt => Refuse(store, $"attempt {r.Attempt} is older than the store's attempt {store.Attempt}"),
        _ => Changed(store with { Phase = StorePhase.Queued, Step = StoreStep.Queued, Progress = 0, Attempt = r.Attempt, LastError = null }, now,
            (ConditionType.Ready, ConditionStatus.False, ConditionReason.Queued, QueuedMessage)),
    };

    private static StoreTransition StartStep(Store store, StoreEvent.StepStarted s, DateTimeOffset now)
    {
        if (ReconcilingReason(s.Step) is not { } reason)
        {
            return Refuse(store, $"{s.Step} is not a provisioning step");
        }
        if (NotProvisioning(store) is { } why)
        {
            return Refuse(store, why);
        }
        if (store.Phase == StorePhase.Provisioning && s.Progress < store.Progress)
        {
            return Refuse(store, $"progress does not go back within an attempt ({store.Progress} to {s.Progress})");
        }
        return Changed(store with { Phase = StorePhase.Provisioning, Step = s.Step, Progress = s.Progress, HoldsResources = true }, now,
            (ConditionType.Reconciling, ConditionStatus.True, reason, s.Message),
            (ConditionType.Ready, ConditionStatus.False, ConditionReason.Provisioning, s.Message));
    }

    private static StoreTransition MakeReady(Store store, StoreEvent.Ready r, DateTimeOffset now) => NotProvisioning(store) is { } why
        ? Refuse(store, why)
        : Changed(store with { Phase = StorePhase.Ready, Step = StoreStep.Ready, Progress = 100, Url = r.Url, AdminUrl = r.AdminUrl, LastError = null }, now,
            (ConditionType.Ready, ConditionStatus.True, ConditionReason.Provisioned, $"The store is up at {r.Url}"),
            (ConditionType.Reconciling, ConditionStatus.False, ConditionReason.Provisioned, r.Summary));

    /// <summary>Why a store takes no provisioning step or Ready now: it is deleted, deleting, failed or failing.</summary>
    private static string? NotProvisioning(Store store) => store switch
    {
        { Phase: StorePhase.Deleting } => "a Deleting store never becomes Ready or provisions again",
        { Phase: StorePhase.Failed } => "a Failed store's attempt is over",
        { Phase: StorePhase.Ready } => "a Ready store's provisioning is over",
        { Step: StoreStep.CleaningUp or StoreStep.KeepingFailed } => "the attempt has failed",
        _ => null,
    };

    private static StoreTransition Fail(Store store, StoreEvent.Failing f, DateTimeOffset now) => store.Phase is StorePhase.Deleting or StorePhase.Failed
        ? Refuse(store, $"a {store.Phase} store does not fail")
        : Changed(store with { Step = f.KeepFailed ? StoreStep.KeepingFailed : StoreStep.CleaningUp, LastError = f.Reason }, now,
            (ConditionType.Ready, ConditionStatus.False, ConditionReason.ProvisioningFailed, f.Reason));

    private static StoreTransition Fail(Store store, StoreEvent.Failed f, DateTimeOffset now) => store.Phase is StorePhase.Deleting or StorePhase.Failed
        ? Refuse(store, $"a {store.Phase} store does not fail")
        : Changed(store with
        {
            Phase = StorePhase.Failed,
            Step = StoreStep.Failed,
            Progress = 100,
            LastError = FailureText(f.Reason, f.KeepFailed, f.Cleaned),
            HoldsResources = f.KeepFailed || !f.Cleaned,
        }, now,
            (ConditionType.Ready, ConditionStatus.False, ConditionReason.ProvisioningFailed, f.Reason),
            (ConditionType.Reconciling, ConditionStatus.False, ConditionReason.ProvisioningFailed, f.Reason));

    private static StoreTransition FailInQueue(Store store, StoreEvent.QueueDeadlinePassed q, DateTimeOffset now) => store.Phase != StorePhase.Queued
        ? Refuse(store, $"a {store.Phase} store is not waiting for a slot")
        : Changed(store with { Phase = StorePhase.Failed, Step = StoreStep.Failed, Progress = 100, LastError = q.Reason }, now,
            (ConditionType.Ready, ConditionStatus.False, ConditionReason.ProvisioningFailed, q.Reason),
            (ConditionType.Reconciling, ConditionStatus.False, ConditionReason.ProvisioningFailed, q.Reason));

    private static ConditionReason? ReconcilingReason(StoreStep step) => step switch
    {
        StoreStep.Namespace => ConditionReason.Namespace,
        StoreStep.Install => ConditionReason.Install,
        StoreStep.Verify => ConditionReason.Verify,
        _ => null,
    };

    private static StoreTransition Changed(Store store, DateTimeOffset now, params (ConditionType Type, ConditionStatus Status, ConditionReason Reason, string Message)[] conditions)
    {
        var set = store.Conditions;
        foreach (var (type, status, reason, message) in conditions)
        {
            set = SetCondition(set, new StoreCondition(type, status, reason, message, now));
        }
        return new(store with { Conditions = set, UpdatedAt = now }, null);
    }

    /// <summary>Replaces the condition of the same type, keeping its transition time when its status is unchanged.</summary>
    private static IReadOnlyList<StoreCondition> SetCondition(IReadOnlyList<StoreCondition> conditions, StoreCondition next)
    {
        var previous = conditions.FirstOrDefault(c => c.Type == next.Type);
        var kept = previous is not null && previous.Status == next.Status ? next with { LastTransitionTime = previous.LastTransitionTime } : next;
        return [.. conditions.Where(c => c.Type != next.Type), kept];
    }

    private static StoreTransition Refuse(Store store, string why) => new(store, why);
}

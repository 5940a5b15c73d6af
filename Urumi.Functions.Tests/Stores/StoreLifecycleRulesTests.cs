using System.Text.Json;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Tests.Stores;

/// <summary>
/// The store's transitions (<see cref="StoreLifecycle.Apply"/>) as a table: every phase a row can be in, every event,
/// and the phase it leads to or "-" when the event is refused; then the rules the table cannot show.
/// </summary>
public sealed class StoreLifecycleRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(1);

    private static readonly StorePhase[] Phases = [StorePhase.Queued, StorePhase.Provisioning, StorePhase.Ready, StorePhase.Failed, StorePhase.Deleting, StorePhase.Deleted];

    /// <summary>Columns: Queued, Provisioning, Ready, Failed, Deleting, Deleted.</summary>
    private static readonly Dictionary<string, (StoreEvent Event, string[] Next)> Table = new()
    {
        ["Accepted"] = (new StoreEvent.Accepted("shop-1", "alice", "shop", "woocommerce", "small"), ["-", "-", "-", "-", "-", "-"]),
        ["Requeued"] = (new StoreEvent.Requeued(2), ["Queued", "Queued", "-", "Queued", "-", "-"]),
        ["StepStarted"] = (new StoreEvent.StepStarted(1, StoreStep.Install, 40, "installing"), ["Provisioning", "Provisioning", "-", "-", "-", "-"]),
        ["Ready"] = (new StoreEvent.Ready(1, "https://shop-1.example", "https://shop-1.example/wp-admin/", "all rolled out"), ["Ready", "Ready", "-", "-", "-", "-"]),
        ["Failing"] = (new StoreEvent.Failing(1, "step Install failed: boom", KeepFailed: false), ["Queued", "Provisioning", "Ready", "-", "-", "-"]),
        ["Failed"] = (new StoreEvent.Failed(1, "step Install failed: boom", KeepFailed: false, Cleaned: true), ["Failed", "Failed", "Failed", "-", "-", "-"]),
        ["QueueDeadlinePassed"] = (new StoreEvent.QueueDeadlinePassed(1, "the deadline passed while queued"), ["Failed", "-", "-", "-", "-", "-"]),
        ["DeleteRequested"] = (new StoreEvent.DeleteRequested(), ["Deleting", "Deleting", "Deleting", "Deleting", "Deleting", "-"]),
        ["DeleteStep"] = (new StoreEvent.DeleteStep(StoreStep.Uninstall, 30), ["-", "-", "-", "-", "Deleting", "-"]),
        ["NamespaceStuck"] = (new StoreEvent.NamespaceStuck("namespace is still Terminating"), ["-", "-", "-", "-", "Deleting", "-"]),
        ["Deleted"] = (new StoreEvent.Deleted(null), ["-", "-", "-", "-", "Deleted", "-"]),
    };

    public static TheoryData<string, StorePhase> EveryPhaseAndEvent()
    {
        var data = new TheoryData<string, StorePhase>();
        foreach (var name in Table.Keys)
        {
            foreach (var phase in Phases)
            {
                data.Add(name, phase);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPhaseAndEvent))]
    public void Each_event_leads_each_phase_where_the_table_says(string eventName, StorePhase phase)
    {
        // Arrange
        var (e, next) = Table[eventName];
        var store = StoreIn(phase);
        var expected = next[Array.IndexOf(Phases, phase)];

        // Act
        var transition = StoreLifecycle.Apply(store, e, T1);

        // Assert
        if (expected == "-")
        {
            Assert.False(transition.Applied, $"{eventName} on a {phase} store should be refused");
            Assert.Same(store, transition.Store);
        }
        else
        {
            Assert.True(transition.Applied, $"{eventName} on a {phase} store was refused: {transition.Refusal}");
            Assert.Equal(Enum.Parse<StorePhase>(expected), transition.Store!.Phase);
            Assert.Equal(T1, transition.Store.UpdatedAt);
        }
    }

    [Theory]
    [MemberData(nameof(EveryPhaseAndEvent))]
    public void An_event_applied_twice_leaves_the_store_as_applying_it_once(string eventName, StorePhase phase)
    {
        // Arrange: an activity cut off by a crash runs again with the same event.
        var (e, _) = Table[eventName];
        var once = StoreLifecycle.Apply(StoreIn(phase), e, T1).Store!;

        // Act
        var twice = StoreLifecycle.Apply(once, e, T1.AddSeconds(5)).Store!;

        // Assert
        Assert.Equal(Json(once with { UpdatedAt = default }), Json(twice with { UpdatedAt = default }));
    }

    [Fact]
    public void An_accepted_store_is_queued_for_its_first_attempt_with_a_ready_false_condition()
    {
        var transition = StoreLifecycle.Apply(null, new StoreEvent.Accepted("shop-1", "alice", "shop", "woocommerce", "small"), T0);

        var store = transition.Store!;
        Assert.Equal((StorePhase.Queued, StoreStep.Queued, 0, 1, T0), (store.Phase, store.Step, store.Progress, store.Attempt, store.CreatedAt));
        Assert.Equal(new StoreCondition(ConditionType.Ready, ConditionStatus.False, ConditionReason.Queued, StoreLifecycle.QueuedMessage, T0), Assert.Single(store.Conditions));
    }

    [Fact]
    public void Any_event_but_accepted_on_a_store_that_has_no_row_is_refused()
    {
        var transition = StoreLifecycle.Apply(null, new StoreEvent.DeleteRequested(), T0);

        Assert.False(transition.Applied);
        Assert.Null(transition.Store);
    }

    [Fact]
    public void Progress_does_not_go_back_within_an_attempt()
    {
        var installing = StoreLifecycle.Apply(StoreIn(StorePhase.Queued), new StoreEvent.StepStarted(1, StoreStep.Install, 40, "installing"), T0).Store!;

        var late = StoreLifecycle.Apply(installing, new StoreEvent.StepStarted(1, StoreStep.Namespace, 10, "a replayed namespace step"), T1);

        Assert.False(late.Applied);
        Assert.Equal((StoreStep.Install, 40), (late.Store!.Step, late.Store.Progress));
    }

    [Fact]
    public void A_step_repeated_at_the_same_progress_is_applied()
    {
        var verifying = StoreLifecycle.Apply(StoreIn(StorePhase.Provisioning), new StoreEvent.StepStarted(1, StoreStep.Verify, 90, "waiting for TLS"), T0).Store!;

        var again = StoreLifecycle.Apply(verifying, new StoreEvent.StepStarted(1, StoreStep.Verify, 90, "still waiting for TLS"), T1);

        Assert.True(again.Applied, again.Refusal);
        Assert.Equal("still waiting for TLS", again.Store!.Conditions.Single(c => c.Type == ConditionType.Reconciling).Message);
    }

    [Fact]
    public void An_event_of_an_earlier_attempt_changes_nothing()
    {
        var retried = StoreLifecycle.Apply(StoreIn(StorePhase.Failed), new StoreEvent.Requeued(2), T0).Store!;

        var late = StoreLifecycle.Apply(retried, new StoreEvent.Ready(1, "https://shop-1.example", "https://shop-1.example/app", "ok"), T1);

        Assert.False(late.Applied);
        Assert.Equal((StorePhase.Queued, 2), (late.Store!.Phase, late.Store.Attempt));
    }

    [Fact]
    public void A_requeued_store_starts_its_attempt_from_zero_without_the_last_error()
    {
        var failed = StoreIn(StorePhase.Failed) with { LastError = "boom", Progress = 100, Step = StoreStep.Failed };

        var requeued = StoreLifecycle.Apply(failed, new StoreEvent.Requeued(2), T1).Store!;

        Assert.Equal((StorePhase.Queued, StoreStep.Queued, 0, 2, (string?)null), (requeued.Phase, requeued.Step, requeued.Progress, requeued.Attempt, requeued.LastError));
    }

    [Theory]
    [InlineData(false, StoreStep.CleaningUp)]
    [InlineData(true, StoreStep.KeepingFailed)]
    public void A_failing_store_shows_its_cleanup_and_takes_no_more_steps_nor_ready(bool keepFailed, StoreStep shown)
    {
        var failing = StoreLifecycle.Apply(StoreIn(StorePhase.Provisioning), new StoreEvent.Failing(1, "deadline passed", keepFailed), T0).Store!;

        var step = StoreLifecycle.Apply(failing, new StoreEvent.StepStarted(1, StoreStep.Verify, 90, "late"), T1);
        var ready = StoreLifecycle.Apply(failing, new StoreEvent.Ready(1, "https://shop-1.example", "https://shop-1.example/app", "late"), T1);

        Assert.Equal((StorePhase.Provisioning, shown, "deadline passed"), (failing.Phase, failing.Step, failing.LastError));
        Assert.False(step.Applied);
        Assert.False(ready.Applied);
    }

    [Theory]
    [InlineData(false, true, false, "boom")]
    [InlineData(false, false, true, "boom (cleanup did not finish: see the store's events)")]
    [InlineData(true, false, true, "boom (keepFailed: the release and namespace are left for debugging)")]
    public void A_failed_store_says_what_was_left_of_it(bool keepFailed, bool cleaned, bool holdsResources, string error)
    {
        var failed = StoreLifecycle.Apply(StoreIn(StorePhase.Provisioning) with { HoldsResources = true }, new StoreEvent.Failed(1, "boom", keepFailed, cleaned), T1).Store!;

        Assert.Equal((StorePhase.Failed, StoreStep.Failed, 100, holdsResources, error), (failed.Phase, failed.Step, failed.Progress, failed.HoldsResources, failed.LastError));
        Assert.All(failed.Conditions, c => Assert.Equal((ConditionStatus.False, ConditionReason.ProvisioningFailed), (c.Status, c.Reason)));
    }

    [Fact]
    public void A_ready_store_has_its_urls_and_no_error()
    {
        var ready = StoreLifecycle.Apply(StoreIn(StorePhase.Provisioning) with { LastError = "a retried step" },
            new StoreEvent.Ready(1, "https://shop-1.example", "https://shop-1.example/wp-admin/", "3 workloads ready"), T1).Store!;

        Assert.Equal((StoreStep.Ready, 100, "https://shop-1.example", "https://shop-1.example/wp-admin/", (string?)null),
            (ready.Step, ready.Progress, ready.Url, ready.AdminUrl, ready.LastError));
        Assert.Equal((ConditionStatus.True, ConditionReason.Provisioned), ready.Conditions.Single(c => c.Type == ConditionType.Ready) is var c ? (c.Status, c.Reason) : default);
    }

    [Fact]
    public void A_condition_keeps_its_transition_time_while_its_status_is_unchanged()
    {
        var queued = StoreLifecycle.Apply(null, new StoreEvent.Accepted("shop-1", "alice", "shop", "woocommerce", "small"), T0).Store!;

        var provisioning = StoreLifecycle.Apply(queued, new StoreEvent.StepStarted(1, StoreStep.Namespace, 10, "namespace"), T1).Store!;
        var ready = StoreLifecycle.Apply(provisioning, new StoreEvent.Ready(1, "https://shop-1.example", "https://shop-1.example/app", "ok"), T1.AddMinutes(1)).Store!;

        var readyFalse = provisioning.Conditions.Single(c => c.Type == ConditionType.Ready);
        Assert.Equal((ConditionStatus.False, ConditionReason.Provisioning, "namespace", T0), (readyFalse.Status, readyFalse.Reason, readyFalse.Message, readyFalse.LastTransitionTime));
        Assert.Equal(T1.AddMinutes(1), ready.Conditions.Single(c => c.Type == ConditionType.Ready).LastTransitionTime);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("release: not found", "helm uninstall failed (release: not found); the namespace deletion removed the store anyway")]
    public void A_deleted_store_holds_nothing_and_says_whether_helm_uninstall_failed(string? uninstallError, string? error)
    {
        var deleting = StoreIn(StorePhase.Deleting) with { HoldsResources = true, LastError = "an earlier stuck namespace" };

        var deleted = StoreLifecycle.Apply(deleting, new StoreEvent.Deleted(uninstallError), T1).Store!;

        Assert.Equal((StoreStep.Deleted, 100, false, error), (deleted.Step, deleted.Progress, deleted.HoldsResources, deleted.LastError));
    }

    [Fact]
    public void A_store_event_crosses_an_activity_boundary_as_json_and_comes_back_the_same()
    {
        var change = new StoreChange("shop-1", "alice", new StoreEvent.Failed(2, "boom", KeepFailed: true, Cleaned: false));

        var json = JsonSerializer.Serialize(change, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var back = JsonSerializer.Deserialize<StoreChange>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        Assert.Contains("\"event\":\"Failed\"", json, StringComparison.Ordinal);
        Assert.Equal(change, back);
    }

    [Fact]
    public void A_store_reads_in_json_as_it_did_when_its_step_and_conditions_were_strings()
    {
        var store = StoreLifecycle.Apply(null, new StoreEvent.Accepted("shop-1", "alice", "shop", "woocommerce", "small"), T0).Store!;

        var json = JsonSerializer.Serialize(store, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        Assert.Contains("\"phase\":\"Queued\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"Queued\",\"message\":\"Waiting for a provisioning slot\"," +
            "\"lastTransitionTime\":\"2026-11-30T07:00:00+00:00\"}],\"step\":\"Queued\",\"progress\":0", json, StringComparison.Ordinal);
    }

    private static string Json(Store store) => JsonSerializer.Serialize(store);

    private static Store StoreIn(StorePhase phase) => new()
    {
        Id = "shop-1",
        Name = "shop",
        Engine = "woocommerce",
        Plan = "small",
        Owner = "alice",
        Phase = phase,
        Step = phase switch
        {
            StorePhase.Queued => StoreStep.Queued,
            StorePhase.Provisioning => StoreStep.Namespace,
            StorePhase.Ready => StoreStep.Ready,
            StorePhase.Failed => StoreStep.Failed,
            StorePhase.Deleting => StoreStep.Stopping,
            _ => StoreStep.Deleted,
        },
        Progress = phase == StorePhase.Provisioning ? 10 : 0,
        Conditions = [new(ConditionType.Ready, ConditionStatus.False, ConditionReason.Queued, StoreLifecycle.QueuedMessage, T0)],
        CreatedAt = T0,
        UpdatedAt = T0,
        Attempt = 1,
    };
}

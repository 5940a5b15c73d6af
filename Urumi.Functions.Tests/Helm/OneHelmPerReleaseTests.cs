using System.Net;
using k8s;
using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Provisioning;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Helm;

/// <summary>
/// At most one helm runs on a release at any time, whatever mix of terminate, retry, delete, crash and second control
/// plane reaches it. Each test holds a store's helm waiting for a rollout that cannot become ready (the probes of its
/// WordPress and database fail: Helm 3 counts a one-replica Deployment ready with none ready, not a StatefulSet), does one of those to it, and records every helm the control plane starts (orphans included) through
/// a wrapper in front of the real helm (<see cref="HelmProcesses"/>).
/// </summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class OneHelmPerReleaseTests(AzuriteFixture fixture)
{
    private static readonly PodFault[] Unready =
    [
        new(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"),
        new(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=database"),
    ];

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task A_provisioning_terminated_while_helm_waits_then_retried_runs_one_helm_at_a_time_and_becomes_Ready(string helm)
    {
        using var helms = HelmProcesses.Record(Repo.Tool(helm));
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, helm, Recorded(helms));
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await StartWaitingHelmAsync(plane, alice, "terminated");

        await TerminateAsync(plane, id);
        await RetryAsync(alice, id);
        await WaitForSecondHelmAsync(plane, id, helms);
        plane.Sim.Server.Faults.Clear();

        await plane.WaitForPhaseAsync(id, "Ready");
        Assert.True(helms.MostAtOnce(id) == 1, $"helm processes on {id} at once: {helms.MostAtOnce(id)}\n{helms.Describe(id)}");
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task A_provisioning_terminated_while_helm_waits_then_deleted_runs_one_helm_at_a_time_and_is_Deleted(string helm)
    {
        using var helms = HelmProcesses.Record(Repo.Tool(helm));
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, helm, Recorded(helms));
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await StartWaitingHelmAsync(plane, alice, "abandoned");

        await TerminateAsync(plane, id);
        Assert.Equal(HttpStatusCode.Accepted, (await alice.DeleteAsync($"/api/stores/{id}")).StatusCode);

        await plane.WaitForPhaseAsync(id, "Deleted");
        Assert.True(helms.Runs(id).Count >= 2, $"the uninstall never ran a helm:\n{helms.Describe(id)}");
        Assert.True(helms.MostAtOnce(id) == 1, $"helm processes on {id} at once: {helms.MostAtOnce(id)}\n{helms.Describe(id)}");
        Assert.Empty((await plane.Sim.Client.CoreV1.ListNamespaceAsync(labelSelector: "app.kubernetes.io/managed-by=urumi")).Items);
    }

    [Fact]
    public async Task A_control_plane_killed_while_its_helm_waits_stops_the_orphaned_helm_before_the_restarted_one_runs()
    {
        // helm outlives the redelivery of its activity (about 15 s: the task hub's lease and visibility timeouts).
        using var helms = HelmProcesses.Record(Repo.Tool("helm3"));
        var settings = Recorded(helms);
        settings["Urumi__Helm__Timeout"] = "00:01:30";
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", settings);
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await StartWaitingHelmAsync(plane, alice, "orphan");
        var first = Assert.Single(HelmProcesses.Running(id));

        plane.App.KillProcessOnly();
        Assert.Contains(first, HelmProcesses.Running(id));
        await plane.App.RestartAsync();
        await WaitForSecondHelmAsync(plane, id, helms);
        plane.Sim.Server.Faults.Clear();

        await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromSeconds(180));
        Assert.DoesNotContain(first, HelmProcesses.Running(id));
        Assert.True(helms.MostAtOnce(id) == 1, $"helm processes on {id} at once: {helms.MostAtOnce(id)}\n{helms.Describe(id)}");
    }

    [Fact]
    public async Task Two_control_planes_on_one_task_hub_run_one_helm_at_a_time_on_a_terminated_and_retried_store()
    {
        using var helms = HelmProcesses.Record(Repo.Tool("helm3"));
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", Recorded(helms));
        await using var second = await plane.StartSecondWorkerAsync();
        using var alice = plane.As(ControlPlane.AliceKey);
        var id = await StartWaitingHelmAsync(plane, alice, "shared");

        await TerminateAsync(plane, id);
        await RetryAsync(alice, id);
        await WaitForSecondHelmAsync(plane, id, helms);
        plane.Sim.Server.Faults.Clear();

        await plane.WaitForPhaseAsync(id, "Ready");
        Assert.True(helms.MostAtOnce(id) == 1, $"helm processes on {id} at once: {helms.MostAtOnce(id)}\n{helms.Describe(id)}");
    }

    private static Dictionary<string, string> Recorded(HelmProcesses helms) => new() { ["Urumi__Helm__Path"] = helms.Path };

    /// <summary>Creates a store whose rollout cannot become ready, and returns once its helm waits for it.</summary>
    private static async Task<string> StartWaitingHelmAsync(ControlPlane plane, HttpClient alice, string name)
    {
        foreach (var fault in Unready)
        {
            plane.Sim.Server.Faults.FailPods(fault);
        }
        var id = await ControlPlane.CreateStoreAsync(alice, name);
        await Eventually.Until(() => StoreLifecycleTests.ReleaseStatusAsync(plane, id), s => s == "pending-install", TimeSpan.FromSeconds(60), "helm to be installing");
        return id;
    }

    /// <summary>Terminates the first provisioning through the management API's client and waits until it is Terminated.</summary>
    private static async Task TerminateAsync(ControlPlane plane, string id)
    {
        var instance = Store.ProvisionInstanceId(id, 1);
        await plane.Storage().TerminateInstanceAsync(instance, "by hand");
        await Eventually.Until(() => plane.Storage().GetInstanceAsync(instance), i => i?.RuntimeStatus == Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Terminated,
            // Generous: with two workers sharing the task hub, a busy machine can delay the terminate message by a lease
            // interval or more; what this test checks is one helm at a time, not how fast a terminate lands.
            TimeSpan.FromSeconds(90), $"{instance} to be terminated");
    }

    /// <summary>POST retry, once the terminated provisioning shows as ended.</summary>
    private static async Task RetryAsync(HttpClient alice, string id) =>
        await Eventually.Until(() => alice.PostAsync($"/api/stores/{id}/retry", null), r => r.StatusCode == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30), $"the retry of {id} to be accepted");

    /// <summary>Waits for a second helm to have run on the release (the retry's, or the restarted control plane's).</summary>
    private static async Task WaitForSecondHelmAsync(ControlPlane plane, string id, HelmProcesses helms) =>
        await Eventually.Until(() => Task.FromResult(helms.Runs(id).Count), n => n >= 2, TimeSpan.FromSeconds(90), $"a second helm on {id}\n{ControlPlane.Tail(plane.App.Output)}");
}

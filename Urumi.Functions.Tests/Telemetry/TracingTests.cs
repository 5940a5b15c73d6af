using System.Diagnostics;
using System.Text;
using k8s;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Tests.Support;
using Urumi.KubeSim.Faults;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Telemetry;

/// <summary>The app process exports its spans with OTLP to a receiver in the test, as it would to a collector.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class TracingTests(AzuriteFixture fixture)
{
    /// <summary>DurableTask.Core names a versioned orchestration's spans "{kind}:{name}@({version})"; our client's create span too.</summary>
    private static readonly string Orchestration = $"orchestration:{nameof(Urumi.Functions.Provisioning.ProvisionStore)}@({Urumi.Functions.Provisioning.ProvisionStore.Version})";

    private static readonly string CreateOrchestration = "create_" + Orchestration;

    /// <summary>An activity's span carries the version of the orchestration that scheduled it.</summary>
    private static string Activity(string name) => $"activity:{name}@({Urumi.Functions.Provisioning.ProvisionStore.Version})";

    /// <summary>The spans of a trace; a timeout names them.</summary>
    private sealed class SpanList(IEnumerable<OtlpSpan> spans) : List<OtlpSpan>(spans)
    {
        public override string ToString() => string.Join(", ", this.Select(s => s.Name));
    }

    [Fact]
    public async Task One_store_provisioning_is_one_trace_from_the_POST_through_each_activity_kubernetes_call_and_helm_run_with_no_secret()
    {
        // Arrange: the control plane as a ServiceAccount (its API calls carry a bearer token), exporting to the receiver.
        await using var receiver = OtlpReceiver.Start();
        await using var plane = await ControlPlane.StartAsServiceAccountAsync(fixture.Azurite, settings: receiver.Settings());
        using var alice = plane.As(ControlPlane.AliceKey);
        var caller = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        alice.DefaultRequestHeaders.Add("traceparent", $"00-{caller}-{callerSpan}-01");

        // Act
        var id = await ControlPlane.CreateStoreAsync(alice, "traced");
        await plane.WaitForPhaseAsync(id, "Ready");
        var trace = await Eventually.Until(
            () => Task.FromResult(new SpanList(receiver.Spans.Where(s => s.TraceId == caller.ToString()))),
            spans => spans.Any(s => s.Name == Activity("VerifyRollout") && s.Kind == OtlpSpan.KindServer)
                && spans.Any(s => s.Name == Orchestration),
            TimeSpan.FromSeconds(60),
            "the provisioning's spans to reach the receiver");

        // Assert: POST -> create_orchestration -> orchestration -> activities -> Kubernetes calls and helm, one trace.
        var post = Assert.Single(trace, s => s.ParentSpanId == callerSpan.ToString());
        Assert.Equal(OtlpSpan.KindServer, post.Kind);
        Assert.Equal("POST", post.Attribute("http.request.method"));
        var create = Assert.Single(trace, s => s.Name == CreateOrchestration);
        Assert.Equal(post.SpanId, create.ParentSpanId);
        var orchestration = trace.First(s => s.Name == Orchestration);
        Assert.Equal(create.SpanId, orchestration.ParentSpanId);
        var steps = new[] { "PrepareNamespace", "InstallRelease", "VerifyRollout" }
            .Select(step => trace.Single(s => s.Name == Activity(step) && s.Kind == OtlpSpan.KindServer))
            .ToList();
        Assert.All(steps, step => Assert.True(DescendsFrom(trace, step, orchestration), $"{step} is not under the orchestration"));
        var kubernetes = trace.Where(s => s.Kind == OtlpSpan.KindClient && s.ParentSpanId == steps[0].SpanId
            && (s.Attribute("url.full") ?? "").Contains($"/namespaces/{id}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(kubernetes);
        var helm = Assert.Single(trace, s => s.Name == "helm upgrade");
        Assert.Equal(steps[1].SpanId, helm.ParentSpanId);
        Assert.Equal(id, helm.Attribute("helm.release"));
        Assert.Equal("woocommerce", helm.Attribute("helm.chart"));
        Assert.Equal("0", helm.Attribute("process.exit.code"));
        Assert.True(helm.EndNanos > helm.StartNanos);
        ulong[] starts = [post.StartNanos, create.StartNanos, orchestration.StartNanos, steps[0].StartNanos, kubernetes.Min(k => k.StartNanos),
            steps[1].StartNanos, helm.StartNanos, steps[2].StartNanos];
        Assert.True(starts.Zip(starts.Skip(1)).All(p => p.First <= p.Second), "spans out of order: " + string.Join(", ", starts));

        // The app's log lines written inside the trace name it (the console shows the trace and span as a scope).
        Assert.Contains($"TraceId:{caller}", plane.App.Output, StringComparison.Ordinal);

        // No secret in any span the process exported: the store's generated credentials, the API token, keys.
        var secret = await plane.Sim.Client.CoreV1.ReadNamespacedSecretAsync(StoreResources.SecretName(id), id);
        var secrets = secret.Data.Values.Select(v => Encoding.UTF8.GetString(v)).ToList();
        secrets.Add(BearerToken(plane.App.Settings["Urumi__Cluster__Kubeconfig"]));
        secrets.Add(ControlPlane.AliceKey);
        secrets.Add(FunctionApp.AdminKey);
        secrets.Add(AccountKey(fixture.Azurite.ConnectionString));
        foreach (var span in receiver.Spans)
        {
            foreach (var text in span.Texts)
            {
                Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task A_provisioning_that_outlives_its_control_plane_process_finishes_in_the_trace_of_its_POST()
    {
        // Arrange: WordPress pods that do not become ready, so helm is still waiting when the process is killed.
        await using var receiver = OtlpReceiver.Start();
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, settings: receiver.Settings());
        using var alice = plane.As(ControlPlane.AliceKey);
        var caller = ActivityTraceId.CreateRandom();
        alice.DefaultRequestHeaders.Add("traceparent", $"00-{caller}-{ActivitySpanId.CreateRandom()}-01");
        plane.Sim.Server.Faults.FailPods(new PodFault(PodFailure.ProbeFailure, LabelSelector: "app.kubernetes.io/component=wordpress"));
        var id = await ControlPlane.CreateStoreAsync(alice, "restarted");
        await Eventually.Until(() => ControlPlane.GetStoreAsync(plane.Admin, id), s => (string?)s["step"] == "Install", TimeSpan.FromSeconds(60), "helm to run");

        // Act: kill -9 and start again; the new process finishes the provisioning from its history.
        plane.App.Kill();
        plane.Sim.Server.Faults.Clear();
        await plane.App.RestartAsync();
        await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromMinutes(3));

        // Assert: the steps run by the new process are in the POST's trace, under the orchestration's span.
        // (The orchestration's span reaches the receiver when the orchestration ends, after Ready is written.)
        var trace = await Eventually.Until(
            () => Task.FromResult(new SpanList(receiver.Spans.Where(s => s.TraceId == caller.ToString()))),
            spans => spans.Any(s => s.Name == Activity("VerifyRollout") && s.Kind == OtlpSpan.KindServer)
                && spans.Any(s => s.Name == Orchestration),
            TimeSpan.FromSeconds(60),
            "the spans of the restarted process to reach the receiver");
        var create = Assert.Single(trace, s => s.Name == CreateOrchestration);
        var verify = trace.Single(s => s.Name == Activity("VerifyRollout") && s.Kind == OtlpSpan.KindServer);
        Assert.True(DescendsFrom(trace, verify, create), "VerifyRollout is not under the create span of the POST: " + string.Join("; ", trace));
        Assert.Contains(trace, s => s.Name == "helm upgrade");
    }

    private static bool DescendsFrom(List<OtlpSpan> trace, OtlpSpan span, OtlpSpan ancestor)
    {
        for (var current = span; current is not null; current = trace.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    private static string BearerToken(string kubeconfig) =>
        File.ReadAllLines(kubeconfig).Select(l => l.Trim()).Single(l => l.StartsWith("token:", StringComparison.Ordinal))["token:".Length..].Trim().Trim('"');

    private static string AccountKey(string connectionString) =>
        connectionString.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..];
}

using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Xunit.Abstractions;
using k8s.Models;
using Urumi.Testing;
using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

[Collection(ControlPlaneCollection.Name)]
public sealed class PlanFitTests(AzuriteFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData("local")]
    [InlineData("prod")]
    public async Task Every_offered_engine_and_plan_becomes_Ready_within_its_quota_and_every_other_is_refused_at_once(string environment)
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, settings: new Dictionary<string, string>
        {
            ["Urumi__Environment"] = environment,
            ["Urumi__Helm__Timeout"] = "00:01:00",
            ["Urumi__MaxActiveStoresPerOwner"] = "10",
        });
        await CreateStorageClassesAsync(plane, environment);
        var info = (await ControlPlane.ReadAsync(await plane.App.Http.GetAsync("/api/info")))!;
        var offers = info["offers"]!.AsArray().Select(o => (Engine: (string)o!["engine"]!, Plan: (string)o["plan"]!, Offered: (bool)o["offered"]!)).ToList();
        output.WriteLine(info["offers"]!.ToJsonString());
        Assert.Contains(offers, o => o.Offered);
        var alice = plane.As(ControlPlane.AliceKey);
        var accepted = new List<string>();

        Assert.Equal(Store.Engines.Length * StorePlans.Names.Length, offers.Count);
        foreach (var (engine, plan, offered) in offers)
        {
            var started = DateTimeOffset.UtcNow;
            var (response, body) = await ControlPlane.CreateAsync(alice, new { name = $"{engine[..3]}-{plan}", engine, plan });
            if (offered)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{engine}/{plan} is offered but POST answered {(int)response.StatusCode}: {body}");
                accepted.Add((string)body!["store"]!["id"]!);
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{engine}/{plan} is not offered but POST answered {(int)response.StatusCode}: {body}");
                Assert.Equal("plan-too-small", ((string)body!["type"]!).Split('/')[^1]);
                Assert.NotEmpty(body["errors"]!["plan"]!.AsArray());
                Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(10));
            }
        }
        foreach (var id in accepted)
        {
            // KubeSim admits pods, requests, limits, claims and storage against the plan's ResourceQuota as a cluster does.
            await plane.WaitForPhaseAsync(id, "Ready", TimeSpan.FromMinutes(3));
        }
    }

    /// <summary>The StorageClasses the environment's values files name (a cluster for that environment has them).</summary>
    private static async Task CreateStorageClassesAsync(ControlPlane plane, string environment)
    {
        var names = Store.Engines
            .SelectMany(e => File.ReadAllLines(Path.Combine(ChartTemplate.Chart(e), $"values-{environment}.yaml")))
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("storageClass: ", StringComparison.Ordinal))
            .Select(line => line["storageClass: ".Length..].Trim('"'))
            .Where(name => name.Length > 0)
            .Distinct();
        foreach (var name in names)
        {
            await plane.Sim.Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = name }, Provisioner = "kubesim" });
        }
    }

    [Fact]
    public void The_demand_counts_surge_hooks_init_containers_LimitRange_defaults_and_claim_templates()
    {
        var yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 4
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  initContainers:
                    - {name: migrate, image: x, resources: {requests: {cpu: "2"}, limits: {cpu: "2"}}}
                  containers:
                    - {name: app, image: x, resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 500m, memory: 512Mi}}}
                    - {name: sidecar, image: x}
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db}
            spec:
              replicas: 2
              serviceName: db
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: db}}
                spec:
                  containers:
                    - {name: db, image: x, resources: {limits: {cpu: "1", memory: 1Gi}}}
              volumeClaimTemplates:
                - metadata: {name: data}
                  spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 5Gi}}}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata: {name: setup, annotations: {helm.sh/hook: post-install}}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - {name: setup, image: x, resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}}
            """;

        var demand = PlanFit.Demand(KubernetesYaml.LoadAllFromString(yaml).OfType<IKubernetesObject<V1ObjectMeta>>());

        // web: 4 replicas + 1 surge (25% rounded up), each pod max(init 2 CPU, 250m + 100m default) = 2 CPU requested.
        Assert.Equal(4 + 1 + 2 + 1, demand[PlanFit.Pods]);
        Assert.Equal(5 * 2m + 2 * 1m + 0.1m, demand[PlanFit.RequestsCpu]);
        Assert.Equal(5 * (256m + 128m) * 1024 * 1024 + 2 * 1024m * 1024 * 1024 + 64m * 1024 * 1024, demand[PlanFit.RequestsMemory]);
        Assert.Equal(5 * 2m + 2 * 1m + 0.2m, demand[PlanFit.LimitsCpu]);
        Assert.Equal(2, demand[PlanFit.Claims]);
        Assert.Equal(10m * 1024 * 1024 * 1024, demand[PlanFit.Storage]);
        var misfits = PlanFit.Misfits(demand, StorePlans.Quota("medium", new Dictionary<string, Dictionary<string, string>>()));
        Assert.Contains(misfits, m => m.StartsWith("requests.cpu: needs 12.1, the plan allows 2", StringComparison.Ordinal));
        Assert.DoesNotContain(misfits, m => m.StartsWith("persistentvolumeclaims", StringComparison.Ordinal));
    }
}

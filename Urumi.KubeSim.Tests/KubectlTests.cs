using System.Text.Json;
using Urumi.KubeSim.Testing;
using Urumi.KubeSim.Tests.Support;

namespace Urumi.KubeSim.Tests;

/// <summary>Real kubectl 1.31 and 1.33 against KubeSim: apply, get -o json, selectors, rollout status, namespace deletion.</summary>
public sealed class KubectlTests
{
    private const string Manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: shop
          labels: {tier: web, env: prod}
        data:
          greeting: hello
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          labels: {tier: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: nginx:1.27.3
                  env: [{name: MODE, value: "one"}]
        """;

    [Theory]
    [InlineData("kubectl1.31")]
    [InlineData("kubectl1.33")]
    public async Task I_can_apply_get_select_watch_a_rollout_and_delete_a_namespace_with_kubectl(string kubectl)
    {
        await using var sim = await Sim.StartAsync();
        var manifest = Path.Combine(sim.Directory, "shop.yaml");
        await File.WriteAllTextAsync(manifest, Manifest);

        var applied = (await sim.RunAsync(kubectl, "apply", "-f", manifest)).EnsureSuccess();
        Assert.Contains("deployment.apps/web created", applied.Stdout);

        (await sim.RunAsync(kubectl, "rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s")).EnsureSuccess();
        var deployment = JsonDocument.Parse((await sim.RunAsync(kubectl, "get", "deployment", "web", "-n", "shop", "-o", "json")).EnsureSuccess().Stdout).RootElement;
        Assert.Equal(2, deployment.GetProperty("status").GetProperty("readyReplicas").GetInt32());

        var selected = JsonDocument.Parse((await sim.RunAsync(kubectl, "get", "configmaps,deployments", "-n", "shop", "-l", "tier=web,env in (prod)", "-o", "json")).EnsureSuccess().Stdout);
        Assert.Equal(["settings"], selected.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()));
        var table = (await sim.RunAsync(kubectl, "get", "pods", "-n", "shop", "-l", "app=web")).EnsureSuccess().Stdout;
        Assert.Equal(2, table.Split('\n').Count(l => l.StartsWith("web-", StringComparison.Ordinal) && l.Contains("Running", StringComparison.Ordinal)));

        // A second apply is a client-side three-way strategic merge patch; the rollout replaces the ReplicaSet.
        await File.WriteAllTextAsync(manifest, Manifest.Replace("value: \"one\"", "value: \"two\"", StringComparison.Ordinal));
        Assert.Contains("deployment.apps/web configured", (await sim.RunAsync(kubectl, "apply", "-f", manifest)).EnsureSuccess().Stdout);
        (await sim.RunAsync(kubectl, "rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s")).EnsureSuccess();
        var env = JsonDocument.Parse((await sim.RunAsync(kubectl, "get", "deployment", "web", "-n", "shop", "-o", "jsonpath={.spec.template.spec.containers[0].env}")).EnsureSuccess().Stdout);
        Assert.Equal("two", env.RootElement[0].GetProperty("value").GetString());

        var deleted = (await sim.RunAsync(kubectl, "delete", "namespace", "shop", "--wait=true", "--timeout=60s")).EnsureSuccess();
        Assert.Contains("namespace \"shop\" deleted", deleted.Stdout);
        var gone = await sim.RunAsync(kubectl, "get", "namespace", "shop");
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("namespaces \"shop\" not found", gone.Stderr);
    }
}

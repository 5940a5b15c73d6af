using k8s.Models;
using Urumi.Charts.Tests.Support;

namespace Urumi.Charts.Tests;

public sealed class ControlPlaneChartTests
{
    /// <summary>What Helm does to an object a chart renders: reads, creates, patches on upgrade, watches while it waits, deletes.</summary>
    private static readonly string[] HelmVerbs = ["get", "watch", "create", "patch", "delete"];

    /// <summary>What the control plane's apply does: get, then create or update.</summary>
    private static readonly string[] Apply = ["get", "create", "update"];

    /// <summary>Where each kind the store charts render lives in the API; a new kind must be added here and to the role.</summary>
    private static readonly Dictionary<string, (string Group, string Resource)> Resources = new()
    {
        ["ConfigMap"] = ("", "configmaps"),
        ["Secret"] = ("", "secrets"),
        ["Service"] = ("", "services"),
        ["PersistentVolumeClaim"] = ("", "persistentvolumeclaims"),
        ["Deployment"] = ("apps", "deployments"),
        ["StatefulSet"] = ("apps", "statefulsets"),
        ["Job"] = ("batch", "jobs"),
        ["Ingress"] = ("networking.k8s.io", "ingresses"),
        ["NetworkPolicy"] = ("networking.k8s.io", "networkpolicies"),
    };

    private static async Task<HashSet<string>> ExpectedPermissionsAsync(string helm)
    {
        var expected = new HashSet<string>();
        void Grant(string group, string resource, IEnumerable<string> verbs)
        {
            foreach (var verb in verbs)
            {
                expected.Add($"{group}/{resource}:{verb}");
            }
        }

        // Helm creates, patches and deletes what the store charts render, in any environment, and watches it while it waits.
        foreach (var chart in ChartCatalog.Stores)
        {
            foreach (var environment in ChartCatalog.Environments)
            {
                var rendered = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, chart, ChartCatalog.ValuesFile(chart, environment)));
                foreach (var o in rendered.Objects)
                {
                    Assert.True(Resources.TryGetValue(o.Kind, out var where), $"{chart} renders a {o.Kind}: add it to the control plane's ClusterRole and to this test");
                    Grant(where.Group, where.Resource, HelmVerbs);
                }
            }
        }
        // Helm keeps releases in Secrets (found by label); the control plane creates each store's credentials Secret.
        Grant("", "secrets", ["get", "list", "create", "update", "delete"]);
        // The control plane applies the namespace and its guardrails, and deletes the namespace.
        Grant("", "namespaces", [.. Apply, "delete"]);
        Grant("", "resourcequotas", Apply);
        Grant("", "limitranges", Apply);
        Grant("networking.k8s.io", "networkpolicies", Apply);
        // One helm per release: the Lease held while helm runs.
        Grant("coordination.k8s.io", "leases", Apply);
        // The rollout check lists the workloads, their pods, ReplicaSets and events, Ingresses and Certificates.
        foreach (var (group, resource) in new[] { ("apps", "deployments"), ("apps", "statefulsets"), ("batch", "jobs"), ("networking.k8s.io", "ingresses"), ("", "pods"), ("", "events"), ("apps", "replicasets"), ("cert-manager.io", "certificates") })
        {
            Grant(group, resource, ["list"]);
        }
        return expected;
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task The_ClusterRole_grants_exactly_what_the_control_plane_and_Helm_use(string helm)
    {
        var rendered = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, ChartCatalog.ControlPlane, ChartCatalog.ValuesFile(ChartCatalog.ControlPlane, "prod")));
        var role = Assert.Single(rendered.OfType<V1ClusterRole>());

        var granted = new HashSet<string>();
        foreach (var rule in role.Rules)
        {
            Assert.Null(rule.NonResourceURLs);
            Assert.Null(rule.ResourceNames);
            foreach (var value in rule.ApiGroups.Concat(rule.Resources).Concat(rule.Verbs))
            {
                Assert.NotEqual("*", value);
            }
            foreach (var group in rule.ApiGroups)
            {
                foreach (var resource in rule.Resources)
                {
                    foreach (var verb in rule.Verbs)
                    {
                        Assert.True(granted.Add($"{group}/{resource}:{verb}"), $"{group}/{resource}:{verb} is granted twice");
                    }
                }
            }
        }

        var expected = await ExpectedPermissionsAsync(helm);
        Assert.True(granted.SetEquals(expected),
            $"granted but unused: {string.Join(", ", granted.Except(expected).Order())}; used but not granted: {string.Join(", ", expected.Except(granted).Order())}");
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task The_control_plane_runs_as_its_ServiceAccount_with_storage_from_a_Secret(string helm)
    {
        var rendered = Rendered.Parse(await ChartCatalog.TemplateAsync(helm, ChartCatalog.ControlPlane, ChartCatalog.ValuesFile(ChartCatalog.ControlPlane, "prod")));

        var account = Assert.Single(rendered.OfType<V1ServiceAccount>());
        var binding = Assert.Single(rendered.OfType<V1ClusterRoleBinding>());
        var role = Assert.Single(rendered.OfType<V1ClusterRole>());
        var deployment = Assert.Single(rendered.OfType<V1Deployment>());
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, "store-1"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal(account.Metadata.Name, deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal(2, deployment.Spec.Replicas);

        var env = deployment.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
        Assert.Equal(("urumi-storage", "connection-string"), (env["AzureWebJobsStorage"].ValueFrom.SecretKeyRef.Name, env["AzureWebJobsStorage"].ValueFrom.SecretKeyRef.Key));
        Assert.Equal("InCluster", env["Urumi__Cluster__Mode"].Value);
        Assert.Equal("prod", env["Urumi__Environment"].Value);

        var service = Assert.Single(rendered.OfType<V1Service>());
        var ingress = Assert.Single(rendered.OfType<V1Ingress>());
        Assert.Equal(service.Metadata.Name, ingress.Spec.Rules.Single().Http.Paths.Single().Backend.Service.Name);
        Assert.Equal("letsencrypt-prod", ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
    }
}

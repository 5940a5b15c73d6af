using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Urumi.Testing;
using Urumi.KubeSim.Auth;
using Urumi.KubeSim.Testing;

namespace Urumi.KubeSim.Tests;

public sealed class RbacTests
{
    private static async Task<(Sim Sim, Kubernetes Account)> StartAsync()
    {
        var options = KubeSimOptions.Fast();
        options.Rbac = true;
        options.Token = Authentication.NewToken();
        var sim = await Sim.StartAsync(options);
        await sim.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });
        await sim.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "shop");
        var path = Path.Combine(sim.Directory, "robot.kubeconfig");
        sim.Server.WriteKubeconfig(path, sim.Server.Cluster.Authentication.IssueServiceAccountToken("shop", "robot"));
        return (sim, new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)));
    }

    private static Rbacv1Subject Robot => new() { Kind = "ServiceAccount", Name = "robot", NamespaceProperty = "shop" };

    [Fact]
    public async Task A_ServiceAccount_may_do_only_what_its_bindings_grant_and_is_refused_with_the_real_403()
    {
        var (sim, robot) = await StartAsync();
        await using var _ = sim;
        using var __ = robot;
        var rbac = sim.Client.RbacAuthorizationV1;
        await rbac.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "read-config" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "list"] },
                new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"], ResourceNames = ["allowed"] }],
        }, "shop");
        await rbac.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "robot-reads" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "read-config" },
            Subjects = [Robot],
        }, "shop");
        foreach (var name in new[] { "allowed", "other" })
        {
            await sim.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name } }, "shop");
        }

        Assert.NotNull(await robot.CoreV1.ListNamespacedConfigMapAsync("shop"));
        Assert.NotNull(await robot.CoreV1.ReadNamespacedSecretAsync("allowed", "shop"));
        var otherSecret = await Refused(() => robot.CoreV1.ReadNamespacedSecretAsync("other", "shop"));
        var listSecrets = await Refused(() => robot.CoreV1.ListNamespacedSecretAsync("shop"));
        var otherNamespace = await Refused(() => robot.CoreV1.ListNamespacedConfigMapAsync("default"));
        var update = await Refused(() => robot.CoreV1.ReplaceNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } }, "shop"));

        Assert.Equal("secrets \"other\" is forbidden: User \"system:serviceaccount:shop:robot\" cannot get resource \"secrets\" in API group \"\" in the namespace \"shop\"", otherSecret["message"]!.ToString());
        Assert.Equal(("Status", "Failure", "Forbidden", 403), ((string)otherSecret["kind"]!, (string)otherSecret["status"]!, (string)otherSecret["reason"]!, (int)otherSecret["code"]!));
        Assert.Equal("secrets is forbidden: User \"system:serviceaccount:shop:robot\" cannot list resource \"secrets\" in API group \"\" in the namespace \"shop\"", listSecrets["message"]!.ToString());
        Assert.Contains("in the namespace \"default\"", otherNamespace["message"]!.ToString());
        Assert.Equal("namespaces \"shop\" is forbidden: User \"system:serviceaccount:shop:robot\" cannot update resource \"namespaces\" in API group \"\" at the cluster scope", update["message"]!.ToString());
        Assert.Contains(sim.Server.Cluster.Access.Query(), a => a.User == "system:serviceaccount:shop:robot" && a.Verb == "update" && !a.Allowed);
    }

    [Fact]
    public async Task A_ClusterRoleBinding_to_an_aggregated_ClusterRole_grants_the_rules_of_the_roles_it_selects_everywhere()
    {
        var (sim, robot) = await StartAsync();
        await using var _ = sim;
        using var __ = robot;
        var rbac = sim.Client.RbacAuthorizationV1;
        await rbac.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "aggregate" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["urumi.dev/aggregate-to"] = "robot" } }] },
        });
        await rbac.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "deployments-reader", Labels = new Dictionary<string, string> { ["urumi.dev/aggregate-to"] = "robot" } },
            Rules = [new V1PolicyRule { ApiGroups = ["apps"], Resources = ["deployments", "deployments/status"], Verbs = ["get", "list", "watch"] }],
        });
        await rbac.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "robot-aggregate" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "aggregate" },
            Subjects = [Robot],
        });

        Assert.NotNull(await robot.AppsV1.ListNamespacedDeploymentAsync("default"));
        Assert.NotNull(await robot.AppsV1.ListDeploymentForAllNamespacesAsync());
        var create = await Refused(() => robot.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment { Metadata = new V1ObjectMeta { Name = "x" } }, "default"));
        Assert.Equal("deployments.apps is forbidden: User \"system:serviceaccount:shop:robot\" cannot create resource \"deployments\" in API group \"apps\" in the namespace \"default\"", create["message"]!.ToString());
    }

    [Fact]
    public async Task Helm_as_a_ServiceAccount_without_rights_is_refused_and_with_them_lists_releases()
    {
        var (sim, robot) = await StartAsync();
        await using var _ = sim;
        robot.Dispose();
        var path = Path.Combine(sim.Directory, "robot.kubeconfig");
        var environment = sim.ToolEnvironment();
        environment["KUBECONFIG"] = path;

        var refused = await CommandLine.RunAsync(Repo.Tool("helm3"), ["list", "--namespace", "shop"], environment, workingDirectory: sim.Directory, timeout: TimeSpan.FromMinutes(1));
        await sim.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "robot-edit" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "robot-secrets" },
            Subjects = [Robot],
        }, "shop");
        await sim.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "robot-secrets" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] }],
        });
        var allowed = await CommandLine.RunAsync(Repo.Tool("helm3"), ["list", "--namespace", "shop"], environment, workingDirectory: sim.Directory, timeout: TimeSpan.FromMinutes(1));

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("cannot list resource \"secrets\" in API group \"\" in the namespace \"shop\"", refused.Stderr);
        Assert.Equal(0, allowed.ExitCode);
    }

    private static async Task<JsonNode> Refused(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        return JsonNode.Parse(error.Response.Content)!;
    }
}

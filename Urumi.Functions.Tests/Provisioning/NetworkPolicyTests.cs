using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Provisioning;

/// <summary>
/// The policies of a store namespace (the control plane's default deny and what the chart renders) admit every
/// connection its rendered workloads need, whatever resolver the cluster runs.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string StoreId = "shop-1a2b3c4d";
    private const string IngressNamespace = "ingress-nginx";

    /// <summary>Where pods send DNS queries on common clusters.</summary>
    private static readonly Endpoint[] Resolvers =
    [
        Pod("kube-dns (CoreDNS pods in kube-system)", "10.244.0.5", "kube-system", new() { ["k8s-app"] = "kube-dns" }),
        new Endpoint("NodeLocal DNSCache (169.254.20.10 on the node's host network, GKE Standard's default)", "169.254.20.10"),
        Pod("CoreDNS labelled by its Helm chart", "10.244.0.6", "kube-system", new() { ["app.kubernetes.io/name"] = "coredns" }),
        Pod("a resolver outside kube-system", "10.244.0.7", "dns-system", new() { ["app"] = "unbound" }),
        new Endpoint("the VPC resolver (dnsPolicy Default)", "10.0.0.2"),
    ];

    /// <summary>What a workload needs because of what it is for, not because its env names a Service.</summary>
    private static readonly Dictionary<string, (string Workload, Endpoint To, int Port, string Why)[]> PurposeNeeds = new()
    {
        ["woocommerce"] = [("Job/" + StoreId + "-setup", new Endpoint("downloads.wordpress.org", "198.143.164.252"), 443, "download WooCommerce")],
        ["medusa"] = [],
    };

    public static TheoryData<string, string> EngineAndEnvironment() => new()
    {
        { "woocommerce", "local" },
        { "woocommerce", "prod" },
        { "medusa", "local" },
        { "medusa", "prod" },
    };

    [Theory]
    [MemberData(nameof(EngineAndEnvironment))]
    public async Task A_store_namespace_admits_every_connection_its_workloads_need(string engine, string environment)
    {
        var rendered = await ChartTemplate.RenderAsync(engine, StoreId, [Path.Combine(ChartTemplate.Chart(engine), $"values-{environment}.yaml")],
            new Dictionary<string, string> { ["ingress.host"] = $"{StoreId}.example.com", ["existingSecret"] = $"{StoreId}-credentials" });
        var policies = Policies(rendered);
        var pods = Workloads(rendered);

        var needs = Needs(engine, rendered, pods).ToList();
        var denied = needs.Where(c => !NetworkPolicyEvaluator.Allows(policies, c)).ToList();

        Assert.Contains(needs, c => c.Why.StartsWith("env ", StringComparison.Ordinal));
        Assert.Contains(needs, c => c.Why.StartsWith("Ingress ", StringComparison.Ordinal));
        Assert.True(denied.Count == 0, $"{denied.Count} of {needs.Count} needed connections are denied:\n{string.Join('\n', denied)}");
    }

    [Fact]
    public void The_evaluator_denies_what_a_default_deny_namespace_does_not_admit()
    {
        var policies = new List<V1NetworkPolicy> { StoreResources.DefaultDeny(StoreId, IngressNamespace) };
        var store = Pod("Deployment/web", "10.244.1.2", StoreId, new() { ["app"] = "web" }, [new V1ContainerPort { ContainerPort = 80, Name = "http" }]);
        var other = Pod("Deployment/other", "10.244.2.2", "other-store", new() { ["app"] = "web" }, [new V1ContainerPort { ContainerPort = 80, Name = "http" }]);
        var controller = Pod("ingress controller", "10.244.3.2", IngressNamespace, new() { ["app"] = "ingress" });

        Assert.False(NetworkPolicyEvaluator.Allows(policies, new Connection(other, store, 80, "TCP", "another store")));
        Assert.False(NetworkPolicyEvaluator.Allows(policies, new Connection(store, other, 80, "TCP", "to another store")));
        Assert.False(NetworkPolicyEvaluator.Allows(policies, new Connection(store, new Endpoint("internet", "203.0.113.1"), 443, "TCP", "out")));
        Assert.True(NetworkPolicyEvaluator.Allows(policies, new Connection(controller, store, 80, "TCP", "ingress")));
    }

    private static List<V1NetworkPolicy> Policies(IEnumerable<IKubernetesObject<V1ObjectMeta>> rendered)
    {
        var policies = rendered.OfType<V1NetworkPolicy>().ToList();
        foreach (var p in policies)
        {
            p.Metadata.NamespaceProperty ??= StoreId;
        }
        policies.Add(StoreResources.DefaultDeny(StoreId, IngressNamespace));
        return policies;
    }

    private static List<(Endpoint Pod, V1PodSpec Spec)> Workloads(IEnumerable<IKubernetesObject<V1ObjectMeta>> rendered)
    {
        var pods = new List<(Endpoint, V1PodSpec)>();
        foreach (var (name, template) in rendered.Select(o => o switch
        {
            V1Deployment d => ($"Deployment/{d.Metadata.Name}", d.Spec.Template),
            V1StatefulSet s => ($"StatefulSet/{s.Metadata.Name}", s.Spec.Template),
            V1Job j => ($"Job/{j.Metadata.Name}", j.Spec.Template),
            _ => (null!, null!),
        }).Where(w => w.Item1 is not null))
        {
            var ports = template.Spec.Containers.SelectMany(c => c.Ports ?? []).ToList();
            pods.Add((Pod(name, $"10.244.1.{pods.Count + 10}", StoreId, new(template.Metadata.Labels), ports), template.Spec));
        }
        return pods;
    }

    private static IEnumerable<Connection> Needs(string engine, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> rendered, List<(Endpoint Pod, V1PodSpec Spec)> pods)
    {
        var services = rendered.OfType<V1Service>().ToList();
        foreach (var (pod, spec) in pods)
        {
            foreach (var resolver in Resolvers)
            {
                yield return new Connection(pod, resolver, 53, "UDP", $"DNS through {resolver}");
                yield return new Connection(pod, resolver, 53, "TCP", $"DNS through {resolver}");
            }
            var env = spec.Containers.Concat(spec.InitContainers ?? []).SelectMany(c => c.Env ?? []).Where(e => e.Value is not null);
            foreach (var variable in env)
            {
                foreach (var service in services.Where(s => Regex.IsMatch(variable.Value, $@"(^|[^-a-z0-9.]){Regex.Escape(s.Metadata.Name)}($|[^-a-z0-9])")))
                {
                    foreach (var target in Targets(service, pods))
                    {
                        yield return new Connection(pod, target.Pod, target.Port, target.Protocol, $"env {variable.Name} names Service {service.Metadata.Name}");
                    }
                }
            }
        }
        var controller = Pod("the ingress controller", "10.244.3.2", IngressNamespace, new() { ["app.kubernetes.io/name"] = "ingress-nginx" });
        foreach (var ingress in rendered.OfType<V1Ingress>())
        {
            foreach (var backend in ingress.Spec.Rules.SelectMany(r => r.Http.Paths).Select(p => p.Backend.Service))
            {
                var service = services.Single(s => s.Metadata.Name == backend.Name);
                foreach (var target in Targets(service, pods))
                {
                    yield return new Connection(controller, target.Pod, target.Port, target.Protocol, $"Ingress {ingress.Metadata.Name} serves Service {service.Metadata.Name}");
                }
            }
        }
        foreach (var (workload, to, port, why) in PurposeNeeds[engine])
        {
            yield return new Connection(pods.Single(p => p.Pod.Name == workload).Pod, to, port, "TCP", why);
        }
    }

    /// <summary>The pods a Service selects, on the container port each of its ports targets.</summary>
    private static IEnumerable<(Endpoint Pod, int Port, string Protocol)> Targets(V1Service service, List<(Endpoint Pod, V1PodSpec Spec)> pods)
    {
        var selected = pods.Where(p => !p.Pod.Name.StartsWith("Job/", StringComparison.Ordinal)
            && NetworkPolicyEvaluator.Matches(new V1LabelSelector { MatchLabels = service.Spec.Selector }, p.Pod.PodLabels!)).ToList();
        Assert.True(selected.Count > 0, $"Service {service.Metadata.Name} selects no workload");
        foreach (var (pod, _) in selected)
        {
            foreach (var port in service.Spec.Ports)
            {
                var target = port.TargetPort?.Value ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var number = int.TryParse(target, out var n) ? n : pod.Ports!.Single(p => p.Name == target).ContainerPort;
                yield return (pod, number, port.Protocol ?? "TCP");
            }
        }
    }

    private static Endpoint Pod(string name, string ip, string ns, Dictionary<string, string> labels, IReadOnlyList<V1ContainerPort>? ports = null) =>
        new(name, ip, ns, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = ns }, labels, ports ?? []);
}

using System.Text.RegularExpressions;
using k8s.Models;
using Urumi.Charts.Tests.Support;

namespace Urumi.Charts.Tests;

/// <summary>`helm template` of every chart with each values file, parsed into typed objects and held to the charts' rules.</summary>
public sealed partial class RenderedManifestTests
{
    public static TheoryData<string, string, string> Cases => ChartCatalog.EveryHelmChartAndEnvironment();

    private static async Task<Rendered> RenderAsync(string helm, string chart, string environment) =>
        Rendered.Parse(await ChartCatalog.TemplateAsync(helm, chart, ChartCatalog.ValuesFile(chart, environment)));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_container_requests_and_limits_cpu_and_memory(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);

        var containers = rendered.Containers().ToList();
        Assert.NotEmpty(containers);
        foreach (var (pod, container, _) in containers)
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{pod.Owner} {container.Name} has no {resource} request");
                Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{pod.Owner} {container.Name} has no {resource} limit");
                Assert.True(container.Resources.Requests[resource].ToDecimal() <= container.Resources.Limits[resource].ToDecimal(),
                    $"{pod.Owner} {container.Name} requests more {resource} than its limit");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_long_running_container_has_readiness_liveness_and_startup_probes(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);

        // Jobs run to completion (bounded by activeDeadlineSeconds) and init containers cannot have probes.
        var served = rendered.Containers().Where(c => !c.Init && !c.Pod.RunsToCompletion).ToList();
        Assert.NotEmpty(served);
        foreach (var (pod, container, _) in served)
        {
            Assert.True(container.ReadinessProbe is not null, $"{pod.Owner} {container.Name} has no readiness probe");
            Assert.True(container.LivenessProbe is not null, $"{pod.Owner} {container.Name} has no liveness probe");
            Assert.True(container.StartupProbe is not null, $"{pod.Owner} {container.Name} has no startup probe");
        }
        foreach (var job in rendered.OfType<V1Job>())
        {
            Assert.True(job.Spec.ActiveDeadlineSeconds > 0, $"{Rendered.NameOf(job)} has no deadline");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_image_has_a_pinned_tag(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);

        foreach (var (pod, container, _) in rendered.Containers())
        {
            Assert.True(IsPinned(container.Image), $"{pod.Owner} {container.Name} runs {container.Image}: not a pinned tag");
        }
    }

    [Theory]
    [InlineData("wordpress:6.8.3-php8.3-apache", true)]
    [InlineData("ghcr.io/urumi/medusa:2.12.3-urumi.1", true)]
    [InlineData("localhost:5000/medusa@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("wordpress", false)]
    [InlineData("wordpress:latest", false)]
    [InlineData("localhost:5000/medusa", false)]
    public void The_pinned_tag_rule_tells_tags_from_registry_ports(string image, bool pinned) => Assert.Equal(pinned, IsPinned(image));

    private static bool IsPinned(string image)
    {
        if (image.Contains("@sha256:", StringComparison.Ordinal))
        {
            return true;
        }
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.LastIndexOf(':');
        return colon > 0 && lastSegment[(colon + 1)..] is { Length: > 0 } tag && tag != "latest";
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_pod_passes_Pod_Security_restricted(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);
        string[] allowedVolumes = ["ConfigMap", "Csi", "DownwardAPI", "EmptyDir", "Ephemeral", "PersistentVolumeClaim", "Projected", "Secret"];
        string[] safeSysctls = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"];

        foreach (var pod in rendered.PodTemplates())
        {
            var spec = pod.Spec;
            Assert.False(spec.HostNetwork == true || spec.HostPID == true || spec.HostIPC == true, $"{pod.Owner} shares a host namespace");
            foreach (var volume in spec.Volumes ?? [])
            {
                var kinds = typeof(V1Volume).GetProperties().Where(p => p.Name != "Name" && p.GetValue(volume) is not null).Select(p => p.Name).ToList();
                Assert.True(kinds.All(allowedVolumes.Contains), $"{pod.Owner} volume {volume.Name} is {string.Join(",", kinds)}");
            }
            foreach (var sysctl in spec.SecurityContext?.Sysctls ?? [])
            {
                Assert.Contains(sysctl.Name, safeSysctls);
            }
            foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers))
            {
                var where = $"{pod.Owner} {container.Name}";
                var security = container.SecurityContext;
                Assert.True(security?.Privileged != true, $"{where} is privileged");
                Assert.True(security?.AllowPrivilegeEscalation == false, $"{where} may escalate privileges");
                Assert.True(security?.RunAsNonRoot ?? spec.SecurityContext?.RunAsNonRoot, $"{where} may run as root");
                Assert.True((security?.RunAsUser ?? spec.SecurityContext?.RunAsUser) != 0, $"{where} runs as uid 0");
                var seccomp = security?.SeccompProfile?.Type ?? spec.SecurityContext?.SeccompProfile?.Type;
                Assert.True(seccomp is "RuntimeDefault" or "Localhost", $"{where} has seccomp {seccomp ?? "unset"}");
                Assert.True(security?.Capabilities?.Drop?.Contains("ALL") == true, $"{where} does not drop ALL capabilities");
                Assert.True((security?.Capabilities?.Add ?? []).All(c => c == "NET_BIND_SERVICE"), $"{where} adds capabilities");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_object_and_pod_carries_the_recommended_labels(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);
        string[] required = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"];

        foreach (var o in rendered.Objects)
        {
            foreach (var label in required)
            {
                Assert.True(o.Metadata.Labels?.ContainsKey(label) == true, $"{Rendered.NameOf(o)} has no {label}");
            }
            Assert.Equal("store-1", o.Metadata.Labels!["app.kubernetes.io/instance"]);
        }
        foreach (var pod in rendered.PodTemplates())
        {
            foreach (var label in required.Append("app.kubernetes.io/component"))
            {
                Assert.True(pod.Labels?.ContainsKey(label) == true, $"{pod.Owner}'s pods have no {label}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task No_secret_material_is_rendered(string helm, string chart, string environment)
    {
        var rendered = await RenderAsync(helm, chart, environment);

        Assert.Empty(rendered.OfType<V1Secret>());
        foreach (var map in rendered.OfType<V1ConfigMap>())
        {
            Assert.DoesNotContain(map.Data?.Keys ?? [], key => SecretName().IsMatch(key));
        }
        foreach (var (pod, container, _) in rendered.Containers())
        {
            foreach (var env in container.Env ?? [])
            {
                var where = $"{pod.Owner} {container.Name} env {env.Name}";
                if (SecretName().IsMatch(env.Name))
                {
                    Assert.True(env.ValueFrom?.SecretKeyRef is not null, $"{where} is not read from a Secret");
                }
                Assert.False(env.Value is not null && CredentialsInUrl().IsMatch(env.Value), $"{where} has credentials in a URL: {env.Value}");
            }
            Assert.DoesNotContain(container.Args ?? [], a => PasswordFlag().IsMatch(a));
        }
    }

    [Theory]
    [InlineData("helm3", "woocommerce")]
    [InlineData("helm4", "woocommerce")]
    [InlineData("helm3", "medusa")]
    [InlineData("helm4", "medusa")]
    public async Task A_store_with_local_values_fits_the_small_plan_quota(string helm, string chart)
    {
        var rendered = await RenderAsync(helm, chart, "local");

        var totals = new Dictionary<string, decimal>();
        var pods = 0;
        foreach (var pod in rendered.PodTemplates())
        {
            pods += pod.Replicas;
            foreach (var (kind, resource) in new[] { ("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory") })
            {
                decimal Amount(V1Container c) => (kind == "requests" ? c.Resources.Requests : c.Resources.Limits)[resource].ToDecimal();
                // A pod needs the sum of its containers, or its largest init container if that is more.
                var perPod = Math.Max(pod.Spec.Containers.Sum(Amount), (pod.Spec.InitContainers ?? []).Select(Amount).DefaultIfEmpty(0).Max());
                totals[$"{kind}.{resource}"] = totals.GetValueOrDefault($"{kind}.{resource}") + (perPod * pod.Replicas);
            }
        }
        var claims = rendered.OfType<V1PersistentVolumeClaim>().Count()
            + rendered.OfType<V1StatefulSet>().Sum(s => (s.Spec.Replicas ?? 1) * (s.Spec.VolumeClaimTemplates?.Count ?? 0));

        foreach (var (name, amount) in totals)
        {
            Assert.True(amount <= StoreQuota.Amount(name), $"{chart} needs {name} {amount}, the quota allows {StoreQuota.Hard[name]}");
        }
        Assert.True(pods <= StoreQuota.Amount("pods"), $"{chart} runs {pods} pods");
        Assert.True(claims <= StoreQuota.Amount("persistentvolumeclaims"), $"{chart} claims {claims} volumes");
    }

    [GeneratedRegex("PASSWORD|SECRET|TOKEN|_KEY$|SALT|password|secret|token", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"://[^/@\s]+:[^/@$\s]+@", RegexOptions.CultureInvariant)]
    private static partial Regex CredentialsInUrl();

    [GeneratedRegex(@"--(admin_)?password=\S", RegexOptions.CultureInvariant)]
    private static partial Regex PasswordFlag();
}

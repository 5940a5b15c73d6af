using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Urumi.Testing;
using Urumi.Functions.Provisioning;

namespace Urumi.Medusa.Tests.Support;

/// <summary>
/// charts/medusa rendered with values-local.yaml and the values the control plane sets, with its env resolved the
/// way the kubelet does: Secret references from the credentials Secret the control plane generates, then $(VAR)
/// references. Only Service host names and ports are rewritten, to the loopback ports given.
/// </summary>
public sealed partial class RenderedStore
{
    private readonly IReadOnlyList<IKubernetesObject<V1ObjectMeta>> _objects;
    private readonly V1Secret _secret;

    private RenderedStore(string storeId, IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects, V1Secret secret)
    {
        StoreId = storeId;
        _objects = objects;
        _secret = secret;
    }

    public string StoreId { get; }

    /// <summary>The store's URL as the chart sets it (the origin its storefront and admin are served from).</summary>
    public string Url => $"http://{StoreId}.localtest.me";

    public static async Task<RenderedStore> RenderAsync(string storeId)
    {
        var home = Directory.CreateTempSubdirectory("urumi-medusa-helm-").FullName;
        try
        {
            var chart = Path.Combine(Repo.Root, "charts", "medusa");
            var result = await CommandLine.RunAsync(Repo.Tool("helm"),
            [
                "template", storeId, chart, "--namespace", storeId, "-f", Path.Combine(chart, "values-local.yaml"),
                "--set", $"ingress.host={storeId}.localtest.me", "--set", $"existingSecret={StoreResources.SecretName(storeId)}",
            ], new Dictionary<string, string> { ["HOME"] = home, ["KUBECONFIG"] = Path.Combine(home, "none") });
            var objects = KubernetesYaml.LoadAllFromString(result.EnsureSuccess().Stdout)
                .Cast<IKubernetesObject<V1ObjectMeta>>()
                .ToList();
            return new RenderedStore(storeId, objects, StoreResources.Credentials(storeId, storeId, "medusa"));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>A value of the store's credentials Secret, as a pod reading it would get it.</summary>
    public string SecretValue(string key) => _secret.StringData[key];

    public V1Container Container(string workload, string container, bool init = false)
    {
        var spec = _objects.Where(o => o.Metadata.Name == $"{StoreId}-{workload}").Select(PodSpec).FirstOrDefault(s => s is not null)
            ?? throw new InvalidOperationException($"the chart renders no workload {StoreId}-{workload}");
        var containers = init ? spec.InitContainers ?? [] : spec.Containers;
        return containers.FirstOrDefault(c => c.Name == container)
            ?? throw new InvalidOperationException($"{StoreId}-{workload} has no {(init ? "init " : "")}container {container}");
    }

    /// <summary>
    /// The container as a process: its command and its env, with every "service:port" of the release
    /// rewritten to 127.0.0.1 and the port <paramref name="loopbackPorts"/> maps the Service's name suffix to.
    /// </summary>
    public ContainerRun Run(string workload, string container, IReadOnlyDictionary<string, int> loopbackPorts, bool init = false)
    {
        var spec = Container(workload, container, init);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in spec.Env ?? [])
        {
            environment[variable.Name] = variable.Value is { } value ? Expand(value, environment) : FromSecret(variable);
        }
        foreach (var (name, value) in environment)
        {
            environment[name] = RewriteServices(value, loopbackPorts);
        }
        var command = (spec.Command ?? []).Concat(spec.Args ?? []).ToList();
        return new ContainerRun($"{workload}/{container}", command, environment);
    }

    private static V1PodSpec? PodSpec(IKubernetesObject<V1ObjectMeta> o) => o switch
    {
        V1Deployment d => d.Spec.Template.Spec,
        V1StatefulSet s => s.Spec.Template.Spec,
        V1Job j => j.Spec.Template.Spec,
        _ => null,
    };

    private string FromSecret(V1EnvVar variable)
    {
        var reference = variable.ValueFrom?.SecretKeyRef
            ?? throw new InvalidOperationException($"{variable.Name}: only values and Secret references are supported");
        if (reference.Name != _secret.Metadata.Name)
        {
            throw new InvalidOperationException($"{variable.Name} reads Secret {reference.Name}, not the store's {_secret.Metadata.Name}");
        }
        return _secret.StringData.TryGetValue(reference.Key, out var value)
            ? value
            : throw new InvalidOperationException($"{variable.Name} reads key {reference.Key}, which the control plane's Secret does not have");
    }

    /// <summary>$(NAME) becomes an earlier variable's value, as the kubelet expands it; unknown ones stay.</summary>
    private static string Expand(string value, Dictionary<string, string> earlier) =>
        Reference().Replace(value, m => earlier.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private string RewriteServices(string value, IReadOnlyDictionary<string, int> loopbackPorts)
    {
        foreach (var service in _objects.OfType<V1Service>())
        {
            var component = service.Metadata.Name[(StoreId.Length + 1)..];
            foreach (var port in service.Spec.Ports)
            {
                if (value.Contains($"{service.Metadata.Name}:{port.Port}", StringComparison.Ordinal))
                {
                    var loopback = loopbackPorts.TryGetValue(component, out var p)
                        ? p
                        : throw new InvalidOperationException($"no loopback port for Service {service.Metadata.Name}");
                    value = value.Replace($"{service.Metadata.Name}:{port.Port}", $"127.0.0.1:{loopback}", StringComparison.Ordinal);
                }
            }
        }
        return value;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}

using k8s;
using k8s.Models;

namespace Urumi.Charts.Tests.Support;

/// <summary>A workload's pod template, named for messages.</summary>
public sealed record PodTemplate(string Owner, int Replicas, V1PodSpec Spec, IDictionary<string, string> Labels, bool RunsToCompletion);

/// <summary>`helm template` output parsed into KubernetesClient's typed objects.</summary>
public sealed class Rendered
{
    private Rendered(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects) => Objects = objects;

    public IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects { get; }

    public static Rendered Parse(string yaml)
    {
        var objects = KubernetesYaml.LoadAllFromString(yaml, Urumi.KubeSim.Testing.CustomResources.TypeMap)
            .Select(o => o as IKubernetesObject<V1ObjectMeta> ?? throw new InvalidOperationException($"not a Kubernetes object: {o?.GetType()}"))
            .ToList();
        return new Rendered(objects);
    }

    public IEnumerable<T> OfType<T>() => Objects.OfType<T>();

    public static string NameOf(IKubernetesObject<V1ObjectMeta> o) => $"{o.Kind}/{o.Metadata.Name}";

    public IEnumerable<PodTemplate> PodTemplates()
    {
        foreach (var o in Objects)
        {
            switch (o)
            {
                case V1Deployment d:
                    yield return new(NameOf(d), d.Spec.Replicas ?? 1, d.Spec.Template.Spec, d.Spec.Template.Metadata.Labels, false);
                    break;
                case V1StatefulSet s:
                    yield return new(NameOf(s), s.Spec.Replicas ?? 1, s.Spec.Template.Spec, s.Spec.Template.Metadata.Labels, false);
                    break;
                case V1DaemonSet ds:
                    yield return new(NameOf(ds), 1, ds.Spec.Template.Spec, ds.Spec.Template.Metadata.Labels, false);
                    break;
                case V1Job j:
                    yield return new(NameOf(j), j.Spec.Parallelism ?? 1, j.Spec.Template.Spec, j.Spec.Template.Metadata.Labels, true);
                    break;
                case V1Pod p:
                    yield return new(NameOf(p), 1, p.Spec, p.Metadata.Labels, p.Spec.RestartPolicy is "Never" or "OnFailure");
                    break;
            }
        }
    }

    /// <summary>Every container of every pod template, init containers included, with where it is.</summary>
    public IEnumerable<(PodTemplate Pod, V1Container Container, bool Init)> Containers() =>
        PodTemplates().SelectMany(p =>
            (p.Spec.InitContainers ?? []).Select(c => (p, c, true))
            .Concat(p.Spec.Containers.Select(c => (p, c, false))));
}

using System.Net;
using k8s.Models;

namespace Urumi.Functions.Tests.Support;

/// <summary>Something that sends or receives traffic: a pod (with labels) or an address outside any pod network.</summary>
public sealed record Endpoint(
    string Name,
    string Ip,
    string? Namespace = null,
    IReadOnlyDictionary<string, string>? NamespaceLabels = null,
    IReadOnlyDictionary<string, string>? PodLabels = null,
    IReadOnlyList<V1ContainerPort>? Ports = null)
{
    public bool IsPod => PodLabels is not null;

    public override string ToString() => Name;
}

/// <summary>A connection a workload needs, and why.</summary>
public sealed record Connection(Endpoint From, Endpoint To, int Port, string Protocol, string Why)
{
    public override string ToString() => $"{From} -> {To}:{Port}/{Protocol} ({Why})";
}

/// <summary>
/// Kubernetes NetworkPolicy semantics, small: a pod selected by no policy of a direction is open in that direction;
/// otherwise a connection needs one rule of one selecting policy whose peers and ports both match, on the egress
/// side of the sender and the ingress side of the receiver. Peers: podSelector (the policy's namespace),
/// namespaceSelector, both (pods in those namespaces), ipBlock (by address, minus except). Ports: number or the
/// receiver's named container port, protocol (TCP by default), endPort.
/// </summary>
public static class NetworkPolicyEvaluator
{
    public static bool Allows(IReadOnlyList<V1NetworkPolicy> policies, Connection c) =>
        EgressAllows(policies, c) && IngressAllows(policies, c);

    private static bool EgressAllows(IReadOnlyList<V1NetworkPolicy> policies, Connection c)
    {
        if (!c.From.IsPod)
        {
            return true;
        }
        var selecting = Selecting(policies, c.From, "Egress").ToList();
        return selecting.Count == 0 || selecting.Any(p => (p.Spec.Egress ?? []).Any(rule =>
            PeersMatch(rule.To, p, c.To) && PortsMatch(rule.Ports, c)));
    }

    private static bool IngressAllows(IReadOnlyList<V1NetworkPolicy> policies, Connection c)
    {
        if (!c.To.IsPod)
        {
            return true;
        }
        var selecting = Selecting(policies, c.To, "Ingress").ToList();
        return selecting.Count == 0 || selecting.Any(p => (p.Spec.Ingress ?? []).Any(rule =>
            PeersMatch(rule.FromProperty, p, c.From) && PortsMatch(rule.Ports, c)));
    }

    private static IEnumerable<V1NetworkPolicy> Selecting(IReadOnlyList<V1NetworkPolicy> policies, Endpoint pod, string direction) =>
        policies.Where(p => p.Metadata.NamespaceProperty == pod.Namespace
            && Matches(p.Spec.PodSelector, pod.PodLabels!)
            && Types(p).Contains(direction));

    /// <summary>policyTypes, or what the API server defaults it to: Ingress, plus Egress when egress rules exist.</summary>
    private static IList<string> Types(V1NetworkPolicy p) =>
        p.Spec.PolicyTypes is { Count: > 0 } types ? types : p.Spec.Egress is { Count: > 0 } ? ["Ingress", "Egress"] : ["Ingress"];

    private static bool PeersMatch(IList<V1NetworkPolicyPeer>? peers, V1NetworkPolicy policy, Endpoint other) =>
        peers is null || peers.Count == 0 || peers.Any(peer => PeerMatches(peer, policy, other));

    private static bool PeerMatches(V1NetworkPolicyPeer peer, V1NetworkPolicy policy, Endpoint other)
    {
        if (peer.IpBlock is { } block)
        {
            var address = IPAddress.Parse(other.Ip);
            return IPNetwork.Parse(block.Cidr).Contains(address) && !(block.Except ?? []).Any(e => IPNetwork.Parse(e).Contains(address));
        }
        if (!other.IsPod)
        {
            return false;
        }
        var namespaceMatches = peer.NamespaceSelector is null
            ? other.Namespace == policy.Metadata.NamespaceProperty
            : Matches(peer.NamespaceSelector, other.NamespaceLabels!);
        return namespaceMatches && (peer.PodSelector is null || Matches(peer.PodSelector, other.PodLabels!));
    }

    private static bool PortsMatch(IList<V1NetworkPolicyPort>? ports, Connection c) =>
        ports is null || ports.Count == 0 || ports.Any(p => (p.Protocol ?? "TCP") == c.Protocol && PortMatches(p, c));

    private static bool PortMatches(V1NetworkPolicyPort rule, Connection c)
    {
        if (rule.Port is null)
        {
            return true;
        }
        var text = rule.Port.Value;
        if (int.TryParse(text, out var number))
        {
            return c.Port == number || rule.EndPort is { } end && c.Port >= number && c.Port <= end;
        }
        return (c.To.Ports ?? []).Any(p => p.Name == text && p.ContainerPort == c.Port && (p.Protocol ?? "TCP") == c.Protocol);
    }

    public static bool Matches(V1LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }
        return (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
            "NotIn" => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => throw new InvalidOperationException($"unknown selector operator {e.OperatorProperty}"),
        });
    }
}

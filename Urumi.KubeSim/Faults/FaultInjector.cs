using System.Text.Json.Nodes;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Faults;

/// <summary>How a faulted pod fails to become Ready.</summary>
public enum PodFailure
{
    ImagePullBackOff,
    CrashLoopBackOff,
    ProbeFailure,
}

/// <summary>Pods in <see cref="Namespace"/> (any when null) matching the label selector and name prefix never become Ready.</summary>
public sealed record PodFault(PodFailure Failure, string? Namespace = null, string? LabelSelector = null, string? NamePrefix = null)
{
    public bool Matches(JsonObject pod)
    {
        var meta = pod["metadata"]!;
        return (Namespace is null || (string?)meta["namespace"] == Namespace)
            && (NamePrefix is null || ((string?)meta["name"] ?? "").StartsWith(NamePrefix, StringComparison.Ordinal))
            && Store.LabelSelector.Parse(LabelSelector).MatchesObject(pod);
    }
}

/// <summary>
/// API requests that fail: <see cref="StatusCode"/> 500, 503, 429 ... or, with <see cref="DropConnection"/>, the
/// connection is closed without an answer. Applies to the next <see cref="Count"/> matching requests, or to each with
/// probability <see cref="Rate"/>.
/// </summary>
public sealed record ApiFault(int StatusCode = 500, bool DropConnection = false, int? Count = null, double? Rate = null, string? Verb = null, string? PathContains = null);

/// <summary>Added latency for matching requests.</summary>
public sealed record LatencyFault(TimeSpan Delay, string? Verb = null, string? PathContains = null);

/// <summary>Failures to inject, changed through the library API or the admin endpoint /_kubesim/faults.</summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly List<PodFault> _pods = [];
    private readonly List<(ApiFault Fault, int Remaining)> _api = [];
    private readonly List<LatencyFault> _latency = [];
    private readonly HashSet<string> _stuckNamespaces = [];
    private readonly Random _random = new(7);

    public const string StuckFinalizer = "kubesim.urumi.dev/never-clears";

    public void FailPods(PodFault fault)
    {
        lock (_gate)
        {
            _pods.Add(fault);
        }
    }

    public void FailRequests(ApiFault fault)
    {
        lock (_gate)
        {
            _api.Add((fault, fault.Count ?? int.MaxValue));
        }
    }

    public void AddLatency(LatencyFault fault)
    {
        lock (_gate)
        {
            _latency.Add(fault);
        }
    }

    /// <summary>Marks a namespace as stuck; use <see cref="Cluster.StickNamespace"/>, which also seeds an existing namespace.</summary>
    internal void StickNamespace(string ns)
    {
        lock (_gate)
        {
            _stuckNamespaces.Add(ns);
        }
    }

    public bool IsStuck(string ns)
    {
        lock (_gate)
        {
            return _stuckNamespaces.Contains(ns);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _pods.Clear();
            _api.Clear();
            _latency.Clear();
            _stuckNamespaces.Clear();
        }
    }

    public PodFailure? PodFailureFor(JsonObject pod)
    {
        lock (_gate)
        {
            return _pods.LastOrDefault(f => f.Matches(pod))?.Failure;
        }
    }

    /// <summary>The fault to answer this request with, if any (consuming one of a counted fault's uses).</summary>
    public ApiFault? NextRequestFault(string verb, string path)
    {
        lock (_gate)
        {
            for (var i = 0; i < _api.Count; i++)
            {
                var (fault, remaining) = _api[i];
                if ((fault.Verb is not null && !string.Equals(fault.Verb, verb, StringComparison.OrdinalIgnoreCase))
                    || (fault.PathContains is not null && !path.Contains(fault.PathContains, StringComparison.Ordinal)))
                {
                    continue;
                }

                if (fault.Rate is { } rate && _random.NextDouble() >= rate)
                {
                    continue;
                }

                if (remaining <= 1)
                {
                    _api.RemoveAt(i);
                }
                else
                {
                    _api[i] = (fault, remaining - 1);
                }

                return fault;
            }

            return null;
        }
    }

    public TimeSpan LatencyFor(string verb, string path)
    {
        lock (_gate)
        {
            return _latency
                .Where(f => (f.Verb is null || string.Equals(f.Verb, verb, StringComparison.OrdinalIgnoreCase)) && (f.PathContains is null || path.Contains(f.PathContains, StringComparison.Ordinal)))
                .Aggregate(TimeSpan.Zero, (sum, f) => sum + f.Delay);
        }
    }

    public JsonObject Describe()
    {
        lock (_gate)
        {
            return new JsonObject
            {
                ["pods"] = new JsonArray(_pods.Select(p => (JsonNode)new JsonObject { ["failure"] = p.Failure.ToString(), ["namespace"] = p.Namespace, ["labelSelector"] = p.LabelSelector, ["namePrefix"] = p.NamePrefix }).ToArray()),
                ["api"] = new JsonArray(_api.Select(a => (JsonNode)new JsonObject { ["statusCode"] = a.Fault.StatusCode, ["dropConnection"] = a.Fault.DropConnection, ["remaining"] = a.Remaining == int.MaxValue ? null : a.Remaining, ["rate"] = a.Fault.Rate, ["verb"] = a.Fault.Verb, ["pathContains"] = a.Fault.PathContains }).ToArray()),
                ["latency"] = new JsonArray(_latency.Select(l => (JsonNode)new JsonObject { ["delayMs"] = l.Delay.TotalMilliseconds, ["verb"] = l.Verb, ["pathContains"] = l.PathContains }).ToArray()),
                ["stuckNamespaces"] = new JsonArray(_stuckNamespaces.Select(n => (JsonNode?)n).ToArray()),
            };
        }
    }
}

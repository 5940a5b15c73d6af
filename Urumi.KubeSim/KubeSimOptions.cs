namespace Urumi.KubeSim;

/// <summary>How the simulated cluster is served and how fast its simulated controllers move.</summary>
public sealed class KubeSimOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>When set, every request except /livez, /readyz and /healthz must carry "Authorization: Bearer {Token}".</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Serve HTTPS with a certificate made at start (its CA in the kubeconfig). client-go (helm, kubectl) sends bearer
    /// tokens only over TLS, so tokens and RBAC need it for them.
    /// </summary>
    public bool Https { get; set; }

    /// <summary>
    /// Authorize every request with RBAC (Roles, ClusterRoles, bindings, aggregation, resourceNames): a request
    /// needs a bearer token (the admin's Token, in system:masters, or an issued ServiceAccount token); what its user
    /// may not do answers 403 Forbidden with the real message. Off by default. Implies <see cref="Https"/>.
    /// </summary>
    public bool Rbac { get; set; }

    /// <summary>The version /version reports (kubectl and Helm only need it to parse).</summary>
    public string KubernetesVersion { get; set; } = "v1.33.1";

    /// <summary>From pod creation to the pod being bound to the simulated node.</summary>
    public TimeSpan PodScheduleDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>From scheduling to containers running and Ready.</summary>
    public TimeSpan PodReadyDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>From a Job's pod running to it succeeding.</summary>
    public TimeSpan JobRunDuration { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>From PVC creation to phase Bound.</summary>
    public TimeSpan VolumeBindDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an emptied Terminating namespace lingers before it disappears.</summary>
    public TimeSpan NamespaceDeletionDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a controller retries what failed (pod creation rejected by quota, for example).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Changes kept for watch resumption; older resourceVersions answer 410 Expired.</summary>
    public int WatchWindow { get; set; } = 50_000;

    /// <summary>Delays of zero-ish values for tests that want the simulated controllers to move fast.</summary>
    public static KubeSimOptions Fast() => new()
    {
        PodScheduleDelay = TimeSpan.FromMilliseconds(10),
        PodReadyDelay = TimeSpan.FromMilliseconds(50),
        JobRunDuration = TimeSpan.FromMilliseconds(100),
        VolumeBindDelay = TimeSpan.FromMilliseconds(20),
        NamespaceDeletionDelay = TimeSpan.FromMilliseconds(100),
        RetryInterval = TimeSpan.FromMilliseconds(500),
    };

    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "the port must be between 0 and 65535");
        }

        foreach (var (name, value) in new[]
        {
            (nameof(PodScheduleDelay), PodScheduleDelay), (nameof(PodReadyDelay), PodReadyDelay), (nameof(JobRunDuration), JobRunDuration),
            (nameof(VolumeBindDelay), VolumeBindDelay), (nameof(NamespaceDeletionDelay), NamespaceDeletionDelay), (nameof(RetryInterval), RetryInterval),
        })
        {
            if (value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} cannot be negative");
            }
        }
    }
}

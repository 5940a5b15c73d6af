using k8s.Models;
using Urumi.Functions.Cluster;

namespace Urumi.Functions.Tests.Cluster;

public sealed class RolloutTests
{
    private static V1ObjectMeta Meta(string name, string uid, string? owner = null) => new()
    {
        Name = name,
        Uid = uid,
        Generation = 1,
        OwnerReferences = owner is null ? null : [new V1OwnerReference { Uid = owner, Name = "owner", Kind = "x", ApiVersion = "v1" }],
    };

    private static V1Deployment Deployment(int available, V1DeploymentCondition? condition = null) => new()
    {
        Metadata = Meta("web", "d1"),
        Spec = new V1DeploymentSpec { Replicas = 1 },
        Status = new V1DeploymentStatus { ObservedGeneration = 1, Replicas = 1, UpdatedReplicas = 1, AvailableReplicas = available, Conditions = condition is null ? null : [condition] },
    };

    private static V1Pod Pod(V1ContainerStateWaiting? waiting = null) => new()
    {
        Metadata = Meta("web-abc", "p1", owner: "rs1"),
        Status = new V1PodStatus { ContainerStatuses = [new V1ContainerStatus { Name = "wordpress", Image = "wordpress", ImageID = "", Ready = false, RestartCount = 3, State = new V1ContainerState { Waiting = waiting } }] },
    };

    private static RolloutSnapshot Snapshot(V1Deployment deployment, V1Pod? pod = null, Corev1Event? e = null) => new(
        [deployment], [], [],
        [new V1ReplicaSet { Metadata = Meta("web-rs", "rs1", owner: "d1") }],
        pod is null ? [] : [pod],
        e is null ? [] : [e]);

    [Fact]
    public void A_rolled_out_namespace_is_ready()
    {
        var report = Rollout.Verify(Snapshot(Deployment(available: 1)));

        Assert.True(report.Ready);
        Assert.Equal("1 workloads rolled out", report.Summary);
    }

    [Fact]
    public void A_quota_rejection_names_the_quota()
    {
        var failure = new V1DeploymentCondition { Type = "ReplicaFailure", Status = "True", Reason = "FailedCreate", Message = "pods \"web-abc\" is forbidden: exceeded quota: store-quota, requested: pods=1, used: pods=1, limited: pods=1" };

        var problem = Assert.Single(Rollout.Verify(Snapshot(Deployment(0, failure))).Problems);

        Assert.Equal(RolloutReasons.QuotaExceeded, problem.Reason);
        Assert.Contains("exceeded quota: store-quota", problem.Message);
    }

    [Theory]
    [InlineData("ImagePullBackOff", RolloutReasons.ImagePullFailure)]
    [InlineData("ErrImagePull", RolloutReasons.ImagePullFailure)]
    [InlineData("CrashLoopBackOff", RolloutReasons.CrashLoop)]
    public void A_waiting_container_names_its_cause(string reason, string expected)
    {
        var pod = Pod(new V1ContainerStateWaiting { Reason = reason, Message = "details" });

        var problem = Assert.Single(Rollout.Verify(Snapshot(Deployment(0), pod)).Problems);

        Assert.Equal(expected, problem.Reason);
        Assert.Contains("web-abc", problem.Message);
    }

    [Fact]
    public void A_failing_readiness_probe_is_named_from_the_pod_events()
    {
        var unhealthy = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "e1" },
            Reason = "Unhealthy",
            Type = "Warning",
            Message = "Readiness probe failed: HTTP probe failed with statuscode: 503",
            InvolvedObject = new V1ObjectReference { Name = "web-abc", Uid = "p1", Kind = "Pod" },
        };

        var problem = Assert.Single(Rollout.Verify(Snapshot(Deployment(0), Pod(), unhealthy)).Problems);

        Assert.Equal(RolloutReasons.ProbeFailure, problem.Reason);
        Assert.Contains("Readiness probe failed", problem.Message);
    }

    [Fact]
    public void A_failed_job_and_an_unfinished_one_are_both_reported_the_worst_first()
    {
        var failed = new V1Job { Metadata = Meta("setup", "j1"), Status = new V1JobStatus { Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit" }] } };
        var quota = new V1DeploymentCondition { Type = "ReplicaFailure", Status = "True", Message = "exceeded quota: store-quota" };
        var snapshot = Snapshot(Deployment(0, quota)) with { Jobs = [failed] };

        var report = Rollout.Verify(snapshot);

        Assert.Equal([RolloutReasons.QuotaExceeded, RolloutReasons.JobFailed], report.Problems.Select(p => p.Reason).Order(StringComparer.Ordinal).Reverse().ToArray());
        Assert.StartsWith("Deployment web: QuotaExceeded", report.Summary);
    }

    private static V1Ingress Ingress(string? issuer, string? secretName) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "shop",
            Annotations = issuer is null ? null : new Dictionary<string, string> { ["cert-manager.io/cluster-issuer"] = issuer },
        },
        Spec = new V1IngressSpec { Tls = [new V1IngressTLS { Hosts = ["shop.stores.example"], SecretName = secretName }] },
    };

    [Fact]
    public void A_store_with_its_own_certificate_is_not_ready_until_cert_manager_reports_it_Ready_and_says_why()
    {
        var perStore = Ingress("letsencrypt-prod", "shop-tls");
        var snapshot = Snapshot(Deployment(available: 1)) with { Ingresses = [perStore] };

        var notCreated = Assert.Single(Rollout.Verify(snapshot).Problems);
        var pending = Assert.Single(Rollout.Verify(snapshot with
        {
            Certificates = [new CertificateState("shop-tls", false, "DoesNotExist", "Issuing certificate as Secret does not exist")],
        }).Problems);
        var rateLimited = Assert.Single(Rollout.Verify(snapshot with
        {
            Certificates = [new CertificateState("shop-tls", false, "Failed", "429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued")],
        }).Problems);
        var ready = Rollout.Verify(snapshot with { Certificates = [new CertificateState("shop-tls", true, "Ready", "Certificate is up to date")] });

        Assert.Equal((RolloutReasons.CertificateNotReady, "shop-tls"), (notCreated.Reason, notCreated.Name));
        Assert.Contains("cert-manager", notCreated.Message);
        Assert.Contains("Issuing certificate as Secret does not exist", pending.Message);
        Assert.Contains("rateLimited", rateLimited.Message);
        Assert.True(ready.Ready);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(null, "shop-tls")]
    [InlineData("letsencrypt-prod", null)]
    public void A_store_served_by_the_wildcard_or_a_certificate_it_does_not_order_waits_for_no_certificate(string? issuer, string? secretName)
    {
        var snapshot = Snapshot(Deployment(available: 1)) with { Ingresses = [Ingress(issuer, secretName)] };

        Assert.True(Rollout.Verify(snapshot).Ready);
    }
}

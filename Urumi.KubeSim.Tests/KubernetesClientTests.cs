using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Urumi.Testing;
using Urumi.KubeSim.Testing;
using Urumi.KubeSim.Tests.Support;

namespace Urumi.KubeSim.Tests;

/// <summary>KubeSim driven by the real KubernetesClient: CRUD, every patch type, watch with resumption, errors.</summary>
public sealed class KubernetesClientTests
{
    private static V1ConfigMap ConfigMap(string name, Dictionary<string, string>? labels = null, Dictionary<string, string>? data = null) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = labels }, Data = data };

    private static async Task<HttpOperationException> Fails(Func<Task> call) => await Assert.ThrowsAsync<HttpOperationException>(call);

    [Fact]
    public async Task I_can_create_read_replace_list_and_delete_objects_with_server_fields_filled_in()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });

        var created = await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("settings", new() { ["tier"] = "web" }, new() { ["a"] = "1" }), "shop");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));

        created.Data["a"] = "2";
        var replaced = await k.CoreV1.ReplaceNamespacedConfigMapAsync(created, "settings", "shop");
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));
        Assert.Equal(created.Metadata.Uid, replaced.Metadata.Uid);

        var stale = await Fails(() => k.CoreV1.ReplaceNamespacedConfigMapAsync(created, "settings", "shop"));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("the object has been modified", stale.Response.Content);

        var again = await Fails(() => k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("settings"), "shop"));
        Assert.Equal(HttpStatusCode.Conflict, again.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", again.Response.Content);
        Assert.Contains("configmaps \\\"settings\\\" already exists", again.Response.Content);

        var generated = await k.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "gen-" } }, "shop");
        Assert.Matches("^gen-[a-z0-9]{5}$", generated.Metadata.Name);

        var list = await k.CoreV1.ListNamespacedConfigMapAsync("shop");
        Assert.Contains(list.Items, c => c.Metadata.Name == "settings");

        await k.CoreV1.DeleteNamespacedConfigMapAsync("settings", "shop");
        var gone = await Fails(() => k.CoreV1.ReadNamespacedConfigMapAsync("settings", "shop"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.Contains("configmaps \\\"settings\\\" not found", gone.Response.Content);
    }

    [Fact]
    public async Task Invalid_names_missing_namespaces_and_unknown_resources_are_refused_as_a_real_server_refuses_them()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        var invalid = await Fails(() => k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("Bad_Name"), "default"));
        Assert.Equal(422, (int)invalid.Response.StatusCode);
        Assert.Contains("\"reason\":\"Invalid\"", invalid.Response.Content);
        Assert.Contains("metadata.name", invalid.Response.Content);
        Assert.Contains("a lowercase RFC 1123 subdomain", invalid.Response.Content);

        var missing = await Fails(() => k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("x"), "nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("namespaces \\\"nowhere\\\" not found", missing.Response.Content);

        var selector = await Fails(() => k.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", labels: new() { ["app"] = "other" }), "default"));
        Assert.Equal(422, (int)selector.Response.StatusCode);
        Assert.Contains("`selector` does not match template `labels`", selector.Response.Content);

        using var http = new HttpClient();
        var unknown = await http.GetAsync($"{sim.Server.Url}/apis/example.com/v1/widgets");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var unknownResource = await http.GetAsync($"{sim.Server.Url}/api/v1/widgets");
        Assert.Equal(HttpStatusCode.NotFound, unknownResource.StatusCode);
        Assert.Contains("the server could not find the requested resource", await unknownResource.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_patch_type_changes_the_object_as_the_real_server_would()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", env: [new V1EnvVar { Name = "A", Value = "1" }, new V1EnvVar { Name = "B", Value = "2" }]), "default");

        // Strategic merge: containers and env merge by name; a null deletes a key.
        var smp = await k.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            {"metadata":{"labels":{"patched":"smp"}},"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"20"},{"name":"C","value":"3"}]}]}}}}
            """, V1Patch.PatchType.StrategicMergePatch), "web", "default");
        var env = smp.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "20", ["C"] = "3" }, env);
        Assert.Equal("nginx:1.27", smp.Spec.Template.Spec.Containers.Single().Image);
        Assert.Equal(2, smp.Metadata.Generation);

        // JSON merge: lists replace.
        var merge = await k.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            {"metadata":{"labels":{"patched":null,"merge":"yes"}},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}}}
            """, V1Patch.PatchType.MergePatch), "web", "default");
        Assert.False(merge.Metadata.Labels.ContainsKey("patched"));
        Assert.Null(merge.Spec.Template.Spec.Containers.Single().Env);
        Assert.Equal("nginx:1.28", merge.Spec.Template.Spec.Containers.Single().Image);

        // JSON patch.
        var json = await k.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            [{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/annotations","value":{"note":"json"}}]
            """, V1Patch.PatchType.JsonPatch), "web", "default");
        Assert.Equal(3, json.Spec.Replicas);
        Assert.Equal("json", json.Metadata.Annotations["note"]);

        // Server-side apply creates what is missing, and a later apply drops the fields its manager stopped setting.
        var applied = await k.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"one":"1","two":"2"}}
            """, V1Patch.PatchType.ApplyPatch), "applied", "default", fieldManager: "tests");
        Assert.Equal(2, applied.Data.Count);
        var reapplied = await k.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"one":"1"}}
            """, V1Patch.PatchType.ApplyPatch), "applied", "default", fieldManager: "tests");
        Assert.Equal(["one"], reapplied.Data.Keys);
    }

    [Fact]
    public async Task A_watch_resumes_from_a_resource_version_and_watch_list_ends_its_initial_events_with_a_bookmark()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        var first = await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("one"), "default");
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("two", new() { ["pick"] = "me" }), "default");
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("three"), "default");

        // Resume after "one": the two later creations arrive, in order, and nothing before.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType, string)>();
        await foreach (var (type, item) in k.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: first.Metadata.ResourceVersion, timeoutSeconds: 10, cancellationToken: cancel.Token))
        {
            seen.Add((type, item.Metadata.Name));
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([(WatchEventType.Added, "two"), (WatchEventType.Added, "three")], seen);

        // A label-selected watch sees changes as they happen.
        var events = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in k.CoreV1.WatchListNamespacedConfigMapAsync("default", labelSelector: "pick=me", timeoutSeconds: 10, cancellationToken: cancel.Token))
            {
                events.Add((type, item.Metadata.Name));
                if (type == WatchEventType.Deleted)
                {
                    break;
                }
            }
        });
        await Eventually.Until(() => Task.FromResult(events.Count), n => n >= 1, TimeSpan.FromSeconds(10), "the initial ADDED event");
        await k.CoreV1.DeleteNamespacedConfigMapAsync("two", "default");
        await watching;
        Assert.Equal([(WatchEventType.Added, "two"), (WatchEventType.Deleted, "two")], events);

        // Watch-list: initial ADDED events, then a BOOKMARK annotated k8s.io/initial-events-end.
        using var http = new HttpClient();
        using var response = await http.GetAsync($"{sim.Server.Url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
            HttpCompletionOption.ResponseHeadersRead);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["ADDED", "ADDED", "ADDED", "BOOKMARK"], lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()));
        Assert.Contains("\"k8s.io/initial-events-end\":\"true\"", lines[^1]);

        // A resourceVersion older than the window is 410 Expired, as etcd compaction makes it on a real server.
        await using var small = await Sim.StartAsync(new KubeSimOptions { WatchWindow = 2 });
        for (var i = 0; i < 5; i++)
        {
            await small.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"c{i}"), "default");
        }

        using var expired = await http.GetAsync($"{small.Server.Url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1001");
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
    }

    [Fact]
    public async Task Lists_filter_by_label_and_field_selectors_and_page_with_limit_and_continue()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", new() { ["env"] = "prod", ["tier"] = "web" }), "default");
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b", new() { ["env"] = "dev", ["tier"] = "web" }), "default");
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c", new() { ["env"] = "test" }), "default");

        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await k.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: labels, fieldSelector: fields)).Items
                .Select(c => c.Metadata.Name).Where(n => n != "kube-root-ca.crt").ToArray();

        Assert.Equal(["a"], await Names("env=prod"));
        Assert.Equal(["a"], await Names("env==prod,tier=web"));
        Assert.Equal(["b", "c"], await Names("env!=prod"));
        Assert.Equal(["a", "b"], await Names("env in (prod,dev)"));
        Assert.Equal(["c"], await Names("env notin (prod,dev)"));
        Assert.Equal(["a", "b"], await Names("tier"));
        Assert.Equal(["c"], await Names("!tier"));
        Assert.Equal(["b"], await Names(fields: "metadata.name=b"));
        Assert.Equal(["a", "c"], await Names(fields: "metadata.name!=b,metadata.namespace=default"));

        var page1 = await k.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2);
        Assert.Equal(2, page1.Items.Count);
        Assert.False(string.IsNullOrEmpty(page1.Metadata.ContinueProperty));
        var page2 = await k.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: page1.Metadata.ContinueProperty);
        Assert.Equal(["a", "b", "c", "kube-root-ca.crt"], page1.Items.Concat(page2.Items).Select(c => c.Metadata.Name));
        Assert.True(string.IsNullOrEmpty(page2.Metadata.ContinueProperty));
    }

    [Fact]
    public async Task A_deployment_rolls_out_through_a_replica_set_to_ready_pods_with_the_status_real_controllers_write()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        var created = await k.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", replicas: 2), "default");
        Assert.Equal(600, created.Spec.ProgressDeadlineSeconds);
        Assert.Equal("RollingUpdate", created.Spec.Strategy.Type);

        var ready = await Eventually.Until(() => k.AppsV1.ReadNamespacedDeploymentAsync("web", "default"),
            d => d.Status?.AvailableReplicas == 2 && d.Status.Conditions?.Any(c => c.Reason == "NewReplicaSetAvailable") == true, TimeSpan.FromSeconds(20), "the rollout");
        Assert.Equal(ready.Metadata.Generation, ready.Status.ObservedGeneration);
        Assert.Equal(2, ready.Status.UpdatedReplicas);
        var rs = (await k.AppsV1.ListNamespacedReplicaSetAsync("default")).Items.Single();
        Assert.True(rs.Metadata.OwnerReferences.Single().Controller);
        Assert.Equal(ready.Metadata.Uid, rs.Metadata.OwnerReferences.Single().Uid);
        var pods = (await k.CoreV1.ListNamespacedPodAsync("default", labelSelector: $"app=web,pod-template-hash={rs.Metadata.Labels["pod-template-hash"]}")).Items;
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Contains(p.Status.Conditions, c => c.Type == "Ready" && c.Status == "True"));

        // Background deletion: the garbage collector removes the ReplicaSet and its pods.
        await k.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Background");
        await Eventually.Until(() => k.CoreV1.ListNamespacedPodAsync("default"), l => l.Items.Count == 0, TimeSpan.FromSeconds(20), "pods collected");
        Assert.Empty((await k.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
    }

    [Fact]
    public async Task Foreground_deletion_keeps_the_owner_until_its_dependents_are_gone_and_finalizers_hold_objects()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web"), "default");
        await Eventually.Until(() => k.CoreV1.ListNamespacedPodAsync("default"), l => l.Items.Count == 1, TimeSpan.FromSeconds(20), "a pod");
        var deleting = await k.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Foreground");
        Assert.NotNull(deleting);
        await Eventually.Until(async () => (await k.AppsV1.ListNamespacedDeploymentAsync("default")).Items.Count, n => n == 0, TimeSpan.FromSeconds(20), "the deployment gone");
        Assert.Empty((await k.CoreV1.ListNamespacedPodAsync("default")).Items);

        var held = ConfigMap("held");
        held.Metadata.Finalizers = ["example.com/hold"];
        await k.CoreV1.CreateNamespacedConfigMapAsync(held, "default");
        await k.CoreV1.DeleteNamespacedConfigMapAsync("held", "default");
        var terminating = await k.CoreV1.ReadNamespacedConfigMapAsync("held", "default");
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        await k.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", "default");
        var gone = await Fails(() => k.CoreV1.ReadNamespacedConfigMapAsync("held", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task A_deleted_namespace_refuses_new_content_empties_itself_and_disappears()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await k.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("cm"), "doomed");
        sim.Server.Cluster.StickNamespace("doomed");
        await k.CoreV1.DeleteNamespaceAsync("doomed");

        var refused = await Fails(() => k.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "doomed"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Contains("unable to create new content in namespace doomed because it is being terminated", refused.Response.Content);

        // Stuck: the injected finalizer never clears, and the namespace says why.
        var stuck = await Eventually.Until(() => k.CoreV1.ReadNamespaceAsync("doomed"),
            n => n.Status.Conditions?.Any(c => c.Type == "NamespaceFinalizersRemaining" && c.Status == "True") == true, TimeSpan.FromSeconds(20), "finalizers reported");
        Assert.Equal("Terminating", stuck.Status.Phase);
        Assert.Contains("kubesim.urumi.dev/never-clears in 1 resource instances", stuck.Status.Conditions.Single(c => c.Type == "NamespaceFinalizersRemaining").Message);

        // Clearing the finalizer lets the namespace go.
        await k.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "kubesim-stuck", "doomed");
        await Eventually.Until(async () => (await k.CoreV1.ListNamespaceAsync()).Items.Any(n => n.Metadata.Name == "doomed"), present => !present, TimeSpan.FromSeconds(20), "the namespace gone");
    }

    [Fact]
    public async Task A_quota_rejects_pods_with_the_real_message_and_limit_range_defaults_appear_on_pods()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        await k.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "small" } });
        await k.CoreV1.CreateNamespacedLimitRangeAsync(Objects.ContainerDefaults("200m", "256Mi", "100m", "128Mi", maxCpu: "1"), "small");
        await k.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = "compute" },
            Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("1"), ["requests.cpu"] = new("150m") } },
        }, "small");

        var pod = await k.CoreV1.CreateNamespacedPodAsync(Pod("first"), "small");
        Assert.Equal("100m", pod.Spec.Containers.Single().Resources.Requests["cpu"].ToString());
        Assert.Equal("256Mi", pod.Spec.Containers.Single().Resources.Limits["memory"].ToString());
        Assert.Contains("LimitRanger plugin set", pod.Metadata.Annotations["kubernetes.io/limit-ranger"]);

        var second = await Fails(() => k.CoreV1.CreateNamespacedPodAsync(Pod("second"), "small"));
        Assert.Equal(HttpStatusCode.Forbidden, second.Response.StatusCode);
        Assert.Contains("pods \\\"second\\\" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=100m, used: pods=1,requests.cpu=100m, limited: pods=1,requests.cpu=150m", second.Response.Content);

        var tooBig = Pod("big");
        tooBig.Spec.Containers[0].Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } };
        var max = await Fails(() => k.CoreV1.CreateNamespacedPodAsync(tooBig, "small"));
        Assert.Contains("maximum cpu usage per Container is 1, but limit is 2", max.Response.Content);

        var quota = await Eventually.Until(() => k.CoreV1.ReadNamespacedResourceQuotaAsync("compute", "small"),
            q => q.Status?.Used?.TryGetValue("pods", out var used) == true && used.ToString() == "1", TimeSpan.FromSeconds(10), "quota status.used");
        Assert.Equal("100m", quota.Status.Used["requests.cpu"].ToString());
    }

    [Fact]
    public async Task Requests_need_the_bearer_token_when_one_is_set()
    {
        var options = KubeSimOptions.Fast();
        options.Token = "s3cret";
        await using var sim = await Sim.StartAsync(options);
        Assert.NotEmpty((await sim.Client.CoreV1.ListNamespaceAsync()).Items);

        using var anonymous = new Kubernetes(new KubernetesClientConfiguration { Host = sim.Server.Url });
        var refused = await Fails(() => anonymous.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Response.StatusCode);
    }

    [Fact]
    public async Task Injected_api_errors_and_pod_faults_come_back_as_a_real_cluster_reports_them()
    {
        await using var sim = await Sim.StartAsync();
        var k = sim.Client;
        using var http = new HttpClient();
        var post = await http.PostAsync($"{sim.Server.Url}/_kubesim/faults/api", new StringContent("""{"statusCode":500,"count":2,"pathContains":"/configmaps"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        for (var i = 0; i < 2; i++)
        {
            var failed = await Fails(() => k.CoreV1.ListNamespacedConfigMapAsync("default"));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.Response.StatusCode);
        }

        Assert.NotEmpty((await k.CoreV1.ListNamespacedConfigMapAsync("default")).Items);

        sim.Server.Faults.FailRequests(new Faults.ApiFault(StatusCode: 429, Count: 1));
        var throttled = await http.GetAsync($"{sim.Server.Url}/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.True(throttled.Headers.Contains("Retry-After"));

        sim.Server.Faults.FailRequests(new Faults.ApiFault(DropConnection: true, Count: 1));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"{sim.Server.Url}/api/v1/namespaces"));

        foreach (var (failure, reason) in new[] { (Faults.PodFailure.ImagePullBackOff, "ImagePullBackOff"), (Faults.PodFailure.CrashLoopBackOff, "CrashLoopBackOff") })
        {
            sim.Server.Faults.FailPods(new Faults.PodFault(failure, "default", NamePrefix: reason.ToLowerInvariant()));
            await k.CoreV1.CreateNamespacedPodAsync(Pod(reason.ToLowerInvariant()), "default");
            var pod = await Eventually.Until(() => k.CoreV1.ReadNamespacedPodAsync(reason.ToLowerInvariant(), "default"),
                p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == reason, TimeSpan.FromSeconds(10), reason);
            Assert.DoesNotContain(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        }

        var operations = sim.Server.Operations.Query(o => o.Verb == "create" && o.Resource == "pods");
        Assert.Equal(2, operations.Count(o => o.Code == 201));
    }

    internal static V1Deployment Deployment(string name, int replicas = 1, Dictionary<string, string>? labels = null, List<V1EnvVar>? env = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = labels ?? new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx:1.27", Env = env }] },
            },
        },
    };

    internal static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx:1.27" }] },
    };
}

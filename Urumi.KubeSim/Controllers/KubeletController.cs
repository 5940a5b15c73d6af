using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Faults;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>
/// The scheduler and kubelet of the one simulated node: pods are bound, then their containers "run" and become
/// Ready (no process runs), Job pods succeed after a while, and injected faults hold pods in ImagePullBackOff,
/// CrashLoopBackOff or failing readiness, with the status and events the real kubelet writes.
/// </summary>
internal sealed class KubeletController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    private int _nextIp = 2;

    public override string Name => "kubelet";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.Pods && e.EventType == "ADDED")
        {
            Enqueue(e.Type, e.Object, Options.PodScheduleDelay);
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var pod = Cluster.Store.Get(ResourceCatalog.Pods, key.Namespace, key.Name);
        if (pod is null || IsDeleting(pod))
        {
            return;
        }

        var phase = (string?)pod["status"]?["phase"];
        if (phase is "Succeeded" or "Failed")
        {
            return;
        }

        if (pod["spec"]?["nodeName"] is null)
        {
            Schedule(pod);
            Enqueue(ResourceCatalog.Pods, key.Namespace, key.Name, Options.PodReadyDelay);
            return;
        }

        // Job pods, and bare pods that do not restart (helm test hooks), run to completion; everything else keeps running.
        var isJobPod = (string?)ControllerOf(pod)?["kind"] == "Job"
            || (ControllerOf(pod) is null && (string?)pod["spec"]?["restartPolicy"] is "Never" or "OnFailure");
        var failure = Cluster.Faults.PodFailureFor(pod);
        if (failure is { } f)
        {
            Fail(pod, f, isJobPod);
            Enqueue(ResourceCatalog.Pods, key.Namespace, key.Name, Options.RetryInterval * 2);
            return;
        }

        if (phase == "Running" && IsPodReady(pod) && isJobPod)
        {
            Complete(pod);
            return;
        }

        if (!IsPodReady(pod))
        {
            Run(pod);
            if (isJobPod)
            {
                Enqueue(ResourceCatalog.Pods, key.Namespace, key.Name, Options.JobRunDuration);
            }
        }
    }

    private void Schedule(JsonObject pod)
    {
        var now = Cluster.Now();
        Cluster.Mutate(ResourceCatalog.Pods, Namespace(pod), NameOf(pod), p =>
        {
            p["spec"]!["nodeName"] = NodeName;
            var status = p["status"]!.AsObject();
            status["phase"] = "Pending";
            status["hostIP"] = "172.18.0.2";
            status["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "172.18.0.2" });
            status["startTime"] = now;
            SetCondition(status, "PodScheduled", "True", "", "");
            Strip(status, "PodScheduled");
            status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, ready: false, started: false,
                new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } })).ToArray());
        }, Actor);
        RecordEvent(ResourceCatalog.Pods, pod, "Normal", "Scheduled", $"Successfully assigned {Namespace(pod)}/{NameOf(pod)} to {NodeName}");
    }

    private void Run(JsonObject pod)
    {
        var now = Cluster.Now();
        var ip = (string?)pod["status"]?["podIP"] ?? NextIp();
        Cluster.Mutate(ResourceCatalog.Pods, Namespace(pod), NameOf(pod), p =>
        {
            var status = p["status"]!.AsObject();
            status["phase"] = "Running";
            status["podIP"] = ip;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
            foreach (var type in new[] { "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled" })
            {
                SetCondition(status, type, "True", "", "");
                Strip(status, type);
            }

            if (p["spec"]?["initContainers"] is JsonArray { Count: > 0 } inits)
            {
                status["initContainerStatuses"] = new JsonArray(inits.OfType<JsonObject>().Select(c => (JsonNode)ContainerStatus(c, ready: true, started: false,
                    new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = now, ["finishedAt"] = now } })).ToArray());
            }

            status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, ready: true, started: true,
                new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } })).ToArray());
        }, Actor);
        foreach (var container in Containers(pod))
        {
            RecordEvent(ResourceCatalog.Pods, pod, "Normal", "Pulled", $"Container image \"{(string?)container["image"]}\" already present on machine");
            RecordEvent(ResourceCatalog.Pods, pod, "Normal", "Started", $"Started container {(string?)container["name"]}");
        }
    }

    private void Complete(JsonObject pod)
    {
        var now = Cluster.Now();
        Cluster.Mutate(ResourceCatalog.Pods, Namespace(pod), NameOf(pod), p =>
        {
            var status = p["status"]!.AsObject();
            status["phase"] = "Succeeded";
            foreach (var type in new[] { "Ready", "ContainersReady" })
            {
                SetCondition(status, type, "False", "PodCompleted", "");
            }

            SetCondition(status, "PodReadyToStartContainers", "False", "", "");
            Strip(status, "PodReadyToStartContainers");
            status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, ready: false, started: false,
                new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0, ["reason"] = "Completed", ["startedAt"] = (string?)status["startTime"], ["finishedAt"] = now } })).ToArray());
        }, Actor);
    }

    private void Fail(JsonObject pod, PodFailure failure, bool isJobPod)
    {
        var now = Cluster.Now();
        var ip = (string?)pod["status"]?["podIP"] ?? NextIp();
        var restartNever = (string?)pod["spec"]?["restartPolicy"] == "Never";
        Cluster.Mutate(ResourceCatalog.Pods, Namespace(pod), NameOf(pod), p =>
        {
            var status = p["status"]!.AsObject();
            var previous = status["containerStatuses"] as JsonArray;
            long Restarts(JsonObject c) => Int(previous?.OfType<JsonObject>().FirstOrDefault(s => (string?)s["name"] == (string?)c["name"])?["restartCount"]);
            status["podIP"] = ip;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
            var names = string.Join(" ", Containers(p).Select(c => (string?)c["name"]));
            SetCondition(status, "Ready", "False", "ContainersNotReady", $"containers with unready status: [{names}]");
            SetCondition(status, "ContainersReady", "False", "ContainersNotReady", $"containers with unready status: [{names}]");
            SetCondition(status, "Initialized", "True", "", "");
            Strip(status, "Initialized");
            switch (failure)
            {
                case PodFailure.ImagePullBackOff:
                    status["phase"] = "Pending";
                    status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, false, false, new JsonObject
                    {
                        ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = $"Back-off pulling image \"{(string?)c["image"]}\"" },
                    })).ToArray());
                    break;
                case PodFailure.CrashLoopBackOff when isJobPod && restartNever:
                    status["phase"] = "Failed";
                    status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, false, false, new JsonObject
                    {
                        ["terminated"] = new JsonObject { ["exitCode"] = 1, ["reason"] = "Error", ["startedAt"] = now, ["finishedAt"] = now },
                    })).ToArray());
                    break;
                case PodFailure.CrashLoopBackOff:
                    status["phase"] = "Running";
                    status["containerStatuses"] = new JsonArray(Containers(p).Select(c =>
                    {
                        var s = ContainerStatus(c, false, false, new JsonObject
                        {
                            ["waiting"] = new JsonObject { ["reason"] = "CrashLoopBackOff", ["message"] = $"back-off 10s restarting failed container={(string?)c["name"]} pod={NameOf(p)}_{Namespace(p)}({Uid(p)})" },
                        });
                        s["restartCount"] = Restarts(c) + 1;
                        s["lastState"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 1, ["reason"] = "Error", ["startedAt"] = now, ["finishedAt"] = now } };
                        return (JsonNode)s;
                    }).ToArray());
                    break;
                case PodFailure.ProbeFailure:
                    status["phase"] = "Running";
                    status["containerStatuses"] = new JsonArray(Containers(p).Select(c => (JsonNode)ContainerStatus(c, false, true, new JsonObject
                    {
                        ["running"] = new JsonObject { ["startedAt"] = (string?)status["startTime"] ?? now },
                    })).ToArray());
                    break;
            }
        }, Actor);

        foreach (var container in Containers(pod))
        {
            var image = (string?)container["image"];
            switch (failure)
            {
                case PodFailure.ImagePullBackOff:
                    RecordEvent(ResourceCatalog.Pods, pod, "Warning", "Failed", $"Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found (simulated by KubeSim)");
                    RecordEvent(ResourceCatalog.Pods, pod, "Normal", "BackOff", $"Back-off pulling image \"{image}\"");
                    break;
                case PodFailure.CrashLoopBackOff:
                    RecordEvent(ResourceCatalog.Pods, pod, "Warning", "BackOff", $"Back-off restarting failed container {(string?)container["name"]} in pod {NameOf(pod)}_{Namespace(pod)}({Uid(pod)})");
                    break;
                case PodFailure.ProbeFailure:
                    RecordEvent(ResourceCatalog.Pods, pod, "Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503 (simulated by KubeSim)");
                    break;
            }
        }
    }

    private static JsonObject ContainerStatus(JsonObject container, bool ready, bool started, JsonObject state) => new()
    {
        ["name"] = (string?)container["name"],
        ["state"] = state,
        ["ready"] = ready,
        ["restartCount"] = 0,
        ["image"] = (string?)container["image"],
        ["imageID"] = "",
        ["started"] = started,
    };

    private static IEnumerable<JsonObject> Containers(JsonObject pod) => (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>Kubelet conditions carry no reason or message when all is well.</summary>
    private static void Strip(JsonObject status, string type)
    {
        var condition = (status["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        if (condition is not null && (string?)condition["reason"] == "")
        {
            condition.Remove("reason");
            condition.Remove("message");
            condition["lastProbeTime"] = null;
        }
    }

    private string NextIp()
    {
        var n = _nextIp++;
        return $"10.244.{n / 250}.{n % 250 + 1}";
    }
}

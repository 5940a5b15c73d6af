using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;

namespace Urumi.KubeSim.Admission;

/// <summary>The defaults the real API server fills in on create and update, for the fields clients rely on.</summary>
public static class Defaults
{
    public static void Apply(ResourceType type, JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject;
        switch (type.Resource)
        {
            case "namespaces":
                Set(obj, "spec", () => new JsonObject());
                Set(obj["spec"]!.AsObject(), "finalizers", () => new JsonArray("kubernetes"));
                Labels(obj)["kubernetes.io/metadata.name"] = Name(obj);
                break;
            case "deployments" when spec is not null:
                Set(spec, "replicas", () => 1);
                Set(spec, "strategy", () => new JsonObject { ["type"] = "RollingUpdate" });
                if ((string?)spec["strategy"]!["type"] == "RollingUpdate")
                {
                    Set(spec["strategy"]!.AsObject(), "rollingUpdate", () => new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" });
                }

                Set(spec, "revisionHistoryLimit", () => 10);
                Set(spec, "progressDeadlineSeconds", () => 600);
                PodTemplate(spec);
                break;
            case "replicasets" when spec is not null:
                Set(spec, "replicas", () => 1);
                PodTemplate(spec);
                break;
            case "statefulsets" when spec is not null:
                Set(spec, "replicas", () => 1);
                Set(spec, "podManagementPolicy", () => "OrderedReady");
                Set(spec, "updateStrategy", () => new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } });
                Set(spec, "revisionHistoryLimit", () => 10);
                Set(spec, "persistentVolumeClaimRetentionPolicy", () => new JsonObject { ["whenDeleted"] = "Retain", ["whenScaled"] = "Retain" });
                foreach (var template in (spec["volumeClaimTemplates"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Set(template, "apiVersion", () => "v1");
                    Set(template, "kind", () => "PersistentVolumeClaim");
                    Set(template, "spec", () => new JsonObject());
                    Set(template["spec"]!.AsObject(), "volumeMode", () => "Filesystem");
                    Set(template, "status", () => new JsonObject { ["phase"] = "Pending" });
                }

                PodTemplate(spec);
                break;
            case "daemonsets" when spec is not null:
                Set(spec, "updateStrategy", () => new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1, ["maxSurge"] = 0 } });
                Set(spec, "revisionHistoryLimit", () => 10);
                PodTemplate(spec);
                break;
            case "jobs" when spec is not null:
                Set(spec, "parallelism", () => 1);
                Set(spec, "completions", () => 1);
                Set(spec, "backoffLimit", () => 6);
                Set(spec, "completionMode", () => "NonIndexed");
                Set(spec, "suspend", () => false);
                Set(spec, "podReplacementPolicy", () => "TerminatingOrFailed");
                PodTemplate(spec);
                break;
            case "cronjobs" when spec is not null:
                Set(spec, "concurrencyPolicy", () => "Allow");
                Set(spec, "suspend", () => false);
                Set(spec, "successfulJobsHistoryLimit", () => 3);
                Set(spec, "failedJobsHistoryLimit", () => 1);
                if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
                {
                    Set(jobSpec, "backoffLimit", () => 6);
                    PodTemplate(jobSpec);
                }

                break;
            case "pods":
                Set(obj, "spec", () => new JsonObject());
                PodSpec(obj["spec"]!.AsObject());
                Set(obj["spec"]!.AsObject(), "serviceAccountName", () => "default");
                Set(obj["spec"]!.AsObject(), "priority", () => 0);
                Set(obj["spec"]!.AsObject(), "enableServiceLinks", () => true);
                Set(obj["spec"]!.AsObject(), "preemptionPolicy", () => "PreemptLowerPriority");
                break;
            case "services":
                Set(obj, "spec", () => new JsonObject());
                spec = obj["spec"]!.AsObject();
                Set(spec, "type", () => "ClusterIP");
                Set(spec, "sessionAffinity", () => "None");
                if ((string?)spec["type"] != "ExternalName")
                {
                    Set(spec, "ipFamilies", () => new JsonArray("IPv4"));
                    Set(spec, "ipFamilyPolicy", () => "SingleStack");
                    Set(spec, "internalTrafficPolicy", () => "Cluster");
                }

                foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Set(port, "protocol", () => "TCP");
                    Set(port, "targetPort", () => port["port"]?.DeepClone());
                }

                break;
            case "persistentvolumeclaims" when spec is not null:
                Set(spec, "volumeMode", () => "Filesystem");
                break;
            case "secrets":
                Set(obj, "type", () => "Opaque");
                break;
        }
    }

    private static void PodTemplate(JsonObject spec)
    {
        if (spec["template"] is JsonObject template)
        {
            Set(template, "spec", () => new JsonObject());
            PodSpec(template["spec"]!.AsObject());
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        Set(spec, "restartPolicy", () => "Always");
        Set(spec, "dnsPolicy", () => "ClusterFirst");
        Set(spec, "schedulerName", () => "default-scheduler");
        Set(spec, "securityContext", () => new JsonObject());
        Set(spec, "terminationGracePeriodSeconds", () => 30);
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var image = (string?)container["image"] ?? "";
                var tagged = image.Contains('@') || (image.LastIndexOf(':') > image.LastIndexOf('/') && !image.EndsWith(":latest", StringComparison.Ordinal));
                Set(container, "imagePullPolicy", () => tagged ? "IfNotPresent" : "Always");
                Set(container, "terminationMessagePath", () => "/dev/termination-log");
                Set(container, "terminationMessagePolicy", () => "File");
                Set(container, "resources", () => new JsonObject());
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Set(port, "protocol", () => "TCP");
                }

                foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
                {
                    if (container[probe] is JsonObject p)
                    {
                        Set(p, "timeoutSeconds", () => 1);
                        Set(p, "periodSeconds", () => 10);
                        Set(p, "successThreshold", () => 1);
                        Set(p, "failureThreshold", () => 3);
                    }
                }
            }
        }
    }

    internal static JsonObject Labels(JsonObject obj)
    {
        var meta = obj["metadata"]!.AsObject();
        return meta["labels"] as JsonObject ?? (JsonObject)(meta["labels"] = new JsonObject());
    }

    private static string Name(JsonObject obj) => (string)obj["metadata"]!["name"]!;

    private static void Set(JsonObject target, string key, Func<JsonNode?> value)
    {
        if (target[key] is null)
        {
            target[key] = value();
        }
    }
}

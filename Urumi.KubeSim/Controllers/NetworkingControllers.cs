using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>Service -> Endpoints of the pods its selector picks (ready ones in addresses, others in notReadyAddresses).</summary>
internal sealed class EndpointsController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "endpoint-controller";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.Services)
        {
            Enqueue(e.Type, e.Object);
        }
        else if (e.Type == ResourceCatalog.Pods)
        {
            foreach (var service in Cluster.Store.List(ResourceCatalog.Services, Namespace(e.Object)))
            {
                var selector = service["spec"]?["selector"] as JsonObject;
                if (selector is { Count: > 0 } && (Selects(selector, e.Object) || (e.Previous is not null && Selects(selector, e.Previous))))
                {
                    Enqueue(ResourceCatalog.Services, service);
                }
            }
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var service = Cluster.Store.Get(ResourceCatalog.Services, key.Namespace, key.Name);
        var existing = Cluster.Store.Get(ResourceCatalog.Endpoints, key.Namespace, key.Name);
        if (service is null || IsDeleting(service))
        {
            if (existing is not null)
            {
                Cluster.RemoveForGood(ResourceCatalog.Endpoints, key.Namespace, key.Name);
            }

            return;
        }

        if (service["spec"]?["selector"] is not JsonObject { Count: > 0 } selector)
        {
            return;
        }

        var pods = Cluster.Store.List(ResourceCatalog.Pods, key.Namespace, p => Selects(selector, p) && p["status"]?["podIP"] is not null && IsPodActive(p));
        JsonNode Address(JsonObject pod) => new JsonObject
        {
            ["ip"] = (string?)pod["status"]!["podIP"],
            ["nodeName"] = NodeName,
            ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = key.Namespace, ["name"] = NameOf(pod), ["uid"] = Uid(pod) },
        };
        var ports = new JsonArray((service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().Select(p =>
        {
            var port = new JsonObject();
            if (p["name"] is not null)
            {
                port["name"] = (string?)p["name"];
            }

            port["port"] = ResolvePort(p["targetPort"] ?? p["port"], pods);
            port["protocol"] = (string?)p["protocol"] ?? "TCP";
            return (JsonNode)port;
        }).ToArray());
        var subset = new JsonObject();
        var ready = pods.Where(IsPodReady).Select(Address).ToArray();
        var notReady = pods.Where(p => !IsPodReady(p)).Select(Address).ToArray();
        if (ready.Length > 0)
        {
            subset["addresses"] = new JsonArray(ready);
        }

        if (notReady.Length > 0)
        {
            subset["notReadyAddresses"] = new JsonArray(notReady);
        }

        subset["ports"] = ports;
        var subsets = pods.Count == 0 ? null : new JsonArray(subset);
        if (existing is null)
        {
            var endpoints = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = key.Name, ["labels"] = service["metadata"]?["labels"]?.DeepClone() },
            };
            if (subsets is not null)
            {
                endpoints["subsets"] = subsets;
            }

            try
            {
                Cluster.Create(ResourceCatalog.Endpoints, key.Namespace, endpoints, Actor);
            }
            catch (StatusException)
            {
            }

            return;
        }

        Cluster.Mutate(ResourceCatalog.Endpoints, key.Namespace, key.Name, e =>
        {
            if (subsets is null)
            {
                e.Remove("subsets");
            }
            else
            {
                e["subsets"] = subsets;
            }
        }, Actor);
    }

    private static bool Selects(JsonObject selector, JsonObject pod) =>
        selector.All(p => (string?)pod["metadata"]?["labels"]?[p.Key] == (string?)p.Value);

    private static JsonNode? ResolvePort(JsonNode? target, List<JsonObject> pods)
    {
        if (target is JsonValue v && v.TryGetValue<string>(out var name))
        {
            var number = pods.SelectMany(p => (p["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
                .SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
                .FirstOrDefault(p => (string?)p["name"] == name)?["containerPort"];
            return number?.DeepClone() ?? 0;
        }

        return target?.DeepClone();
    }
}

/// <summary>The simulated ingress controller: Ingresses of a class that exists get a load-balancer address.</summary>
internal sealed class IngressController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "ingress-controller";

    public override void OnEvent(WatchEvent e)
    {
        if (e.Type == ResourceCatalog.Ingresses && e.EventType != "DELETED")
        {
            Enqueue(e.Type, e.Object);
        }
    }

    public override void Reconcile(WorkKey key)
    {
        var ingress = Cluster.Store.Get(ResourceCatalog.Ingresses, key.Namespace, key.Name);
        if (ingress is null || IsDeleting(ingress))
        {
            return;
        }

        var className = (string?)ingress["spec"]?["ingressClassName"] ?? (string?)ingress["metadata"]?["annotations"]?["kubernetes.io/ingress.class"];
        var served = className is null
            ? Cluster.Store.List(ResourceCatalog.IngressClasses, null, c => (string?)c["metadata"]?["annotations"]?["ingressclass.kubernetes.io/is-default-class"] == "true").Count > 0
            : Cluster.Store.Get(ResourceCatalog.IngressClasses, null, className) is not null;
        if (!served)
        {
            return;
        }

        Cluster.Mutate(ResourceCatalog.Ingresses, key.Namespace, key.Name, i =>
            i["status"] = new JsonObject { ["loadBalancer"] = new JsonObject { ["ingress"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }) } }, Actor);
    }
}

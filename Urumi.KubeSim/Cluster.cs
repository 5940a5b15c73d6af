using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Urumi.KubeSim.Admission;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Faults;
using Urumi.KubeSim.Patching;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim;

/// <summary>
/// The API server's semantics over the object store: create, update, patch and delete with defaults, validation,
/// admission, generation, finalizers and deletion propagation. HTTP requests and the simulated controllers both go
/// through here, so a controller's pod is subject to quota exactly like a client's.
/// </summary>
public sealed class Cluster
{
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private readonly Dictionary<(string Uid, string Manager), JsonObject> _applied = [];
    private readonly Random _random = new();
    private int _nextServiceIp = 10;
    private int _nextNodePort = 30000;

    public Cluster(KubeSimOptions options, TimeProvider? time = null)
    {
        Options = options;
        Time = time ?? TimeProvider.System;
        Store = new ObjectStore(options.WatchWindow);
        Operations = new OperationLog(Time);
        Faults = new FaultInjector();
        Admission = new ResourceAdmission(Store);
        Authentication = new Auth.Authentication(options.Token);
        Authorizer = new Auth.RbacAuthorizer(Store);
    }

    public KubeSimOptions Options { get; }
    public TimeProvider Time { get; }
    public ObjectStore Store { get; }
    public OperationLog Operations { get; }
    public FaultInjector Faults { get; }

    /// <summary>The bearer tokens the cluster accepts (the admin's and issued ServiceAccount tokens).</summary>
    public Auth.Authentication Authentication { get; }

    /// <summary>RBAC, consulted for every request when KubeSimOptions.Rbac is on.</summary>
    public Auth.RbacAuthorizer Authorizer { get; }

    /// <summary>Every authorization decision RBAC made (reads too): what each user used and what it was refused.</summary>
    public Auth.AccessLog Access { get; } = new();

    internal ResourceAdmission Admission { get; }

    public string Now() => Timestamp(Time.GetUtcNow());

    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public JsonObject Get(ResourceType type, string? ns, string name)
    {
        var key = type.Namespaced ? ns : null;
        return Store.Get(type, key, name) ?? throw StatusException.NotFound(type, name);
    }

    /// <summary>Creates the namespaces and objects a fresh cluster has (like kind: a default StorageClass, an IngressClass).</summary>
    public void Bootstrap()
    {
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            Create(ResourceCatalog.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, "kubesim:bootstrap");
        }

        Create(ResourceCatalog.StorageClasses, null, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "standard",
                ["annotations"] = new JsonObject { ["storageclass.kubernetes.io/is-default-class"] = "true" },
            },
            ["provisioner"] = "rancher.io/local-path",
            ["reclaimPolicy"] = "Delete",
            ["volumeBindingMode"] = "Immediate",
        }, "kubesim:bootstrap");
        Create(ResourceCatalog.IngressClasses, null, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "nginx" },
            ["spec"] = new JsonObject { ["controller"] = "k8s.io/ingress-nginx" },
        }, "kubesim:bootstrap");
    }

    /// <summary>
    /// Makes a namespace (existing or future) stick in Terminating once deleted: a ConfigMap inside it carries a
    /// finalizer no controller clears, as when an operator that owns a finalizer is gone.
    /// </summary>
    public void StickNamespace(string ns)
    {
        lock (Store.Gate)
        {
            Faults.StickNamespace(ns);
            if (Store.Get(ResourceCatalog.Namespaces, null, ns) is { } existing && existing["metadata"]?["deletionTimestamp"] is null
                && Store.Get(ResourceCatalog.ConfigMaps, ns, "kubesim-stuck") is null)
            {
                SeedStuckObject(ns);
            }
        }
    }

    private void SeedStuckObject(string ns) =>
        Create(ResourceCatalog.ConfigMaps, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubesim-stuck", ["finalizers"] = new JsonArray(FaultInjector.StuckFinalizer) },
        }, "kubesim:faults");

    public JsonObject Create(ResourceType type, string? ns, JsonObject body, string actor, bool dryRun = false) =>
        Recorded("create", type, ns, (string?)body["metadata"]?["name"], actor, () => CreateCore(type, ns, body, actor, dryRun));

    public JsonObject Update(ResourceType type, string? ns, string name, JsonObject body, string actor, bool statusOnly = false, bool dryRun = false) =>
        Recorded(statusOnly ? "update/status" : "update", type, ns, name, actor, () =>
        {
            lock (Store.Gate)
            {
                CheckBodyIdentity(type, ns, name, body);
                var existing = Get(type, ns, name);
                var wanted = (string?)body["metadata"]?["resourceVersion"];
                if (!string.IsNullOrEmpty(wanted) && wanted != (string?)existing["metadata"]!["resourceVersion"])
                {
                    throw StatusException.Conflict(type, name);
                }

                return Commit(type, existing, (JsonObject)body.DeepClone(), statusOnly, system: false, dryRun);
            }
        });

    /// <summary>Applies a patch of the given content type; server-side apply creates a missing object (Created = true).</summary>
    public (JsonObject Object, bool Created) Patch(ResourceType type, string? ns, string name, string contentType, JsonNode patch, string actor,
        bool statusOnly = false, string? fieldManager = null, bool dryRun = false)
    {
        var created = false;
        var result = Recorded(statusOnly ? "patch/status" : "patch", type, ns, name, actor, () =>
        {
            lock (Store.Gate)
            {
                var existing = Store.Get(type, type.Namespaced ? ns : null, name);
                if (contentType.StartsWith("application/apply-patch", StringComparison.Ordinal))
                {
                    if (patch is not JsonObject applied)
                    {
                        throw StatusException.BadRequest("the apply configuration must be an object");
                    }

                    var manager = fieldManager ?? throw new StatusException(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
                    CheckBodyIdentity(type, ns, name, applied);
                    if (existing is null)
                    {
                        var createdObject = CreateCore(type, ns, (JsonObject)applied.DeepClone(), actor, dryRun);
                        if (!dryRun)
                        {
                            _applied[((string)createdObject["metadata"]!["uid"]!, manager)] = (JsonObject)applied.DeepClone();
                        }

                        created = true;
                        return createdObject;
                    }

                    var uid = (string)existing["metadata"]!["uid"]!;
                    var merged = (JsonObject)existing.DeepClone();
                    if (_applied.TryGetValue((uid, manager), out var last))
                    {
                        merged = StrategicMergePatch.Apply(merged, StrategicMergePatch.Removals(last, applied));
                    }

                    merged = StrategicMergePatch.Apply(merged, applied);
                    merged["metadata"]!["resourceVersion"] = existing["metadata"]!["resourceVersion"]!.DeepClone();
                    var result = Commit(type, existing, merged, statusOnly, system: false, dryRun);
                    if (!dryRun)
                    {
                        _applied[(uid, manager)] = (JsonObject)applied.DeepClone();
                    }

                    return result;
                }

                if (existing is null)
                {
                    throw StatusException.NotFound(type, name);
                }

                JsonNode? patched = contentType switch
                {
                    _ when contentType.StartsWith("application/json-patch+json", StringComparison.Ordinal) =>
                        JsonPatch.Apply(existing, patch as JsonArray ?? throw StatusException.BadRequest("a JSON patch must be a list of operations")),
                    _ when contentType.StartsWith("application/merge-patch+json", StringComparison.Ordinal) => JsonMergePatch.Apply(existing, patch),
                    _ when contentType.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal) =>
                        StrategicMergePatch.Apply(existing, patch as JsonObject ?? throw StatusException.BadRequest("a strategic merge patch must be an object")),
                    _ => throw StatusException.UnsupportedMediaType(contentType),
                };
                if (patched is not JsonObject patchedObject)
                {
                    throw StatusException.BadRequest("the patched object is not an object");
                }

                var wanted = (string?)patchedObject["metadata"]?["resourceVersion"];
                if (!string.IsNullOrEmpty(wanted) && wanted != (string?)existing["metadata"]!["resourceVersion"])
                {
                    throw StatusException.Conflict(type, name);
                }

                if ((string?)patchedObject["metadata"]?["name"] != name)
                {
                    throw StatusException.BadRequest($"the name of the object ({(string?)patchedObject["metadata"]?["name"]}) does not match the name on the URL ({name})");
                }

                return Commit(type, existing, patchedObject, statusOnly, system: false, dryRun);
            }
        });
        return (result, created);
    }

    /// <summary>Deletes an object: at once, or by setting deletionTimestamp when finalizers (or foreground deletion) hold it.</summary>
    /// <returns>The object when it still exists (Terminating), or a Success Status when it is gone.</returns>
    public JsonObject Delete(ResourceType type, string? ns, string name, JsonObject? options, string actor, bool dryRun = false) =>
        Recorded("delete", type, ns, name, actor, () =>
        {
            lock (Store.Gate)
            {
                var existing = Get(type, ns, name);
                var meta = existing["metadata"]!;
                if (options?["preconditions"] is JsonObject preconditions)
                {
                    if ((string?)preconditions["uid"] is { Length: > 0 } uid && uid != (string?)meta["uid"])
                    {
                        throw new StatusException(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {meta["uid"]}");
                    }

                    if ((string?)preconditions["resourceVersion"] is { Length: > 0 } rv && rv != (string?)meta["resourceVersion"])
                    {
                        throw new StatusException(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {meta["resourceVersion"]}");
                    }
                }

                if (dryRun)
                {
                    return existing;
                }

                var policy = (string?)options?["propagationPolicy"]
                    ?? ((bool?)options?["orphanDependents"] == true ? "Orphan" : type == ResourceCatalog.Jobs || type == ResourceCatalog.CronJobs ? "Orphan" : "Background");
                if (policy is not ("Orphan" or "Background" or "Foreground"))
                {
                    throw new StatusException(422, "Invalid", $"DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
                }

                var changed = (JsonObject)existing.DeepClone();
                var changedMeta = changed["metadata"]!.AsObject();
                if (type == ResourceCatalog.Namespaces)
                {
                    if (changedMeta["deletionTimestamp"] is null)
                    {
                        changedMeta["deletionTimestamp"] = Now();
                        changed["status"] = new JsonObject { ["phase"] = "Terminating" };
                        return Store.Write(type, changed);
                    }

                    return existing;
                }

                if (policy == "Orphan")
                {
                    OrphanDependents((string)meta["uid"]!);
                }

                var finalizers = (changedMeta["finalizers"] as JsonArray)?.Select(f => (string?)f).ToList() ?? [];
                if (policy == "Foreground" && !finalizers.Contains("foregroundDeletion"))
                {
                    finalizers.Add("foregroundDeletion");
                    changedMeta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)f).ToArray());
                }

                if (finalizers.Count > 0)
                {
                    if (changedMeta["deletionTimestamp"] is not null && policy != "Foreground")
                    {
                        return existing;
                    }

                    changedMeta["deletionTimestamp"] ??= Now();
                    changedMeta["deletionGracePeriodSeconds"] = 0;
                    return Store.Write(type, changed);
                }

                RemoveForGood(type, ns, name);
                return SuccessStatus(type, name, (string?)meta["uid"]);
            }
        });

    /// <summary>Deletes every object of a type in a namespace that matches the selectors.</summary>
    public JsonObject DeleteCollection(ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, JsonObject? options, string actor)
    {
        var deleted = new JsonArray();
        foreach (var obj in Store.List(type, type.Namespaced ? ns : null, o => labels.MatchesObject(o) && fields.Matches(o)))
        {
            try
            {
                var result = Delete(type, ns, (string)obj["metadata"]!["name"]!, options, actor);
                deleted.Add((string?)result["kind"] == "Status" ? obj.DeepClone() : result.DeepClone());
            }
            catch (StatusException e) when (e.Code == 404)
            {
            }
        }

        return new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Store.ResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
    }

    /// <summary>A controller's read-modify-write of an object, status included; no-op changes write nothing.</summary>
    internal JsonObject? Mutate(ResourceType type, string? ns, string name, Action<JsonObject> change, string actor)
    {
        lock (Store.Gate)
        {
            var existing = Store.Get(type, type.Namespaced ? ns : null, name);
            if (existing is null)
            {
                return null;
            }

            var changed = (JsonObject)existing.DeepClone();
            change(changed);
            if (JsonNode.DeepEquals(changed, existing))
            {
                return existing;
            }

            try
            {
                var result = Commit(type, existing, changed, statusOnly: false, system: true, dryRun: false);
                Operations.Record("update", type.QualifiedResource, ns, name, 200, actor);
                return result;
            }
            catch (StatusException e)
            {
                Operations.Record("update", type.QualifiedResource, ns, name, e.Code, actor, e.Reason);
                throw;
            }
        }
    }

    /// <summary>Removes an object whose finalizers are clear and forgets what was applied to it.</summary>
    internal void RemoveForGood(ResourceType type, string? ns, string name)
    {
        lock (Store.Gate)
        {
            var removed = Store.Remove(type, type.Namespaced ? ns : null, name);
            if (removed?["metadata"]?["uid"] is JsonNode uid)
            {
                foreach (var key in _applied.Keys.Where(k => k.Uid == (string?)uid).ToList())
                {
                    _applied.Remove(key);
                }
            }
        }
    }

    private JsonObject CreateCore(ResourceType type, string? ns, JsonObject body, string actor, bool dryRun)
    {
        lock (Store.Gate)
        {
            var obj = (JsonObject)body.DeepClone();
            CheckTypeMeta(type, obj);
            var meta = obj["metadata"] as JsonObject ?? (JsonObject)(obj["metadata"] = new JsonObject());
            if (type.Namespaced)
            {
                var bodyNs = (string?)meta["namespace"];
                if (!string.IsNullOrEmpty(bodyNs) && ns is not null && bodyNs != ns)
                {
                    throw StatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
                }

                ns ??= bodyNs ?? "default";
                meta["namespace"] = ns;
            }
            else
            {
                meta.Remove("namespace");
            }

            // Mutating admission sees the object before its name is generated, so its errors name the generateName
            // prefix, as the real server's do.
            var name = (string?)meta["name"];
            var prefix = (string?)meta["generateName"];
            if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(prefix))
            {
                throw StatusException.Invalid(type, "", [new FieldError("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]);
            }

            var admissionName = string.IsNullOrEmpty(name) ? prefix! : name;
            if (type.Namespaced)
            {
                var namespaceObject = Store.Get(ResourceCatalog.Namespaces, null, ns!) ?? throw StatusException.NotFound(ResourceCatalog.Namespaces, ns!);
                if (namespaceObject["metadata"]?["deletionTimestamp"] is not null)
                {
                    var message = $"unable to create new content in namespace {ns} because it is being terminated";
                    throw StatusException.Forbidden(type, admissionName, message, [new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = message, ["field"] = "metadata.namespace" }]);
                }
            }

            if (!string.IsNullOrEmpty(name) && Store.Get(type, type.Namespaced ? ns : null, name) is not null)
            {
                throw StatusException.AlreadyExists(type, name);
            }

            foreach (var server in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields" })
            {
                meta.Remove(server);
            }

            Defaults.Apply(type, obj);
            FoldStringData(type, obj);
            ResetStatus(type, obj);
            if (type == ResourceCatalog.Pods)
            {
                var account = (string?)obj["spec"]?["serviceAccountName"] ?? "default";
                if (Store.Get(ResourceCatalog.ServiceAccounts, ns, account) is null)
                {
                    throw StatusException.Forbidden(type, admissionName, $"error looking up service account {ns}/{account}: serviceaccount \"{account}\" not found");
                }
            }

            if (type.Namespaced)
            {
                Admission.ApplyLimitRanges(type, ns!, obj);
            }

            // Then, as in the real server's store: the name is generated, the object validated, and validating
            // admission (quota) sees the final name.
            if (string.IsNullOrEmpty(name))
            {
                do
                {
                    name = prefix + new string(Enumerable.Range(0, 5).Select(_ => SuffixAlphabet[_random.Next(SuffixAlphabet.Length)]).ToArray());
                }
                while (Store.Get(type, type.Namespaced ? ns : null, name) is not null);
                meta["name"] = name;
            }

            Validation.Validate(type, obj);
            if (type.Namespaced)
            {
                Admission.CheckQuota(type, ns!, obj);
            }

            var uid = Guid.NewGuid().ToString();
            meta["uid"] = uid;
            meta["creationTimestamp"] = Now();
            if (type.HasGeneration)
            {
                meta["generation"] = 1;
            }

            if (type == ResourceCatalog.Services)
            {
                AllocateServiceAddresses(obj);
            }

            if (type == ResourceCatalog.Jobs)
            {
                LabelJob(obj, uid, name);
            }

            if (type == ResourceCatalog.PersistentVolumeClaims && obj["spec"]?["storageClassName"] is null)
            {
                var defaultClass = Store.List(ResourceCatalog.StorageClasses, null, c => (string?)c["metadata"]?["annotations"]?["storageclass.kubernetes.io/is-default-class"] == "true").FirstOrDefault();
                if (defaultClass is not null)
                {
                    obj["spec"]!["storageClassName"] = defaultClass["metadata"]!["name"]!.DeepClone();
                }
            }

            if (dryRun)
            {
                return obj;
            }

            var stored = Store.Write(type, obj);
            if (type == ResourceCatalog.Namespaces)
            {
                SeedNamespace(name);
            }

            return stored;
        }
    }

    /// <summary>The common end of update, patch and controller writes.</summary>
    private JsonObject Commit(ResourceType type, JsonObject existing, JsonObject proposed, bool statusOnly, bool system, bool dryRun)
    {
        CheckTypeMeta(type, proposed);
        var existingMeta = existing["metadata"]!.AsObject();
        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)existing.DeepClone();
            next["status"] = proposed["status"]?.DeepClone();
        }
        else
        {
            next = proposed;
            if (type.HasStatus && !system)
            {
                next["status"] = existing["status"]?.DeepClone();
            }
        }

        next["apiVersion"] = type.GroupVersion;
        next["kind"] = type.Kind;
        var meta = next["metadata"] as JsonObject ?? (JsonObject)(next["metadata"] = new JsonObject());
        foreach (var preserved in new[] { "name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            meta[preserved] = existingMeta[preserved]?.DeepClone();
            if (meta[preserved] is null)
            {
                meta.Remove(preserved);
            }
        }

        meta.Remove("managedFields");
        if (meta["labels"] is JsonObject { Count: 0 } && existingMeta["labels"] is null)
        {
            meta.Remove("labels");
        }

        Defaults.Apply(type, next);
        FoldStringData(type, next);
        if (!statusOnly)
        {
            Validation.Validate(type, next);
        }

        if (type.HasGeneration && !JsonNode.DeepEquals(SpecOf(existing), SpecOf(next)))
        {
            meta["generation"] = JsonNumbers.Long(existingMeta["generation"]) + 1;
        }

        if (type == ResourceCatalog.Services)
        {
            var spec = next["spec"]!.AsObject();
            spec["clusterIP"] ??= existing["spec"]?["clusterIP"]?.DeepClone();
            spec["clusterIPs"] ??= existing["spec"]?["clusterIPs"]?.DeepClone();
            AllocateServiceAddresses(next);
        }

        meta["resourceVersion"] = existingMeta["resourceVersion"]?.DeepClone();
        if (JsonNode.DeepEquals(next, existing))
        {
            return existing;
        }

        if (dryRun)
        {
            return next;
        }

        if (meta["deletionTimestamp"] is not null && (meta["finalizers"] as JsonArray)?.Count is null or 0 && type != ResourceCatalog.Namespaces)
        {
            RemoveForGood(type, (string?)meta["namespace"], (string)meta["name"]!);
            var gone = (JsonObject)next.DeepClone();
            return gone;
        }

        return Store.Write(type, next);
    }

    private static JsonObject SpecOf(JsonObject obj)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is not ("metadata" or "status"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    private static void CheckTypeMeta(ResourceType type, JsonObject obj)
    {
        var apiVersion = (string?)obj["apiVersion"];
        var kind = (string?)obj["kind"];
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.GroupVersion)
        {
            throw StatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.GroupVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw StatusException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind})");
        }

        obj["apiVersion"] = type.GroupVersion;
        obj["kind"] = type.Kind;
    }

    private static void CheckBodyIdentity(ResourceType type, string? ns, string name, JsonObject body)
    {
        var bodyName = (string?)body["metadata"]?["name"];
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw StatusException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var bodyNs = (string?)body["metadata"]?["namespace"];
        if (type.Namespaced && !string.IsNullOrEmpty(bodyNs) && ns is not null && bodyNs != ns)
        {
            throw StatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (body["metadata"] is not JsonObject)
        {
            body["metadata"] = new JsonObject();
        }

        body["metadata"]!["name"] = name;
        if (type.Namespaced && ns is not null)
        {
            body["metadata"]!["namespace"] = ns;
        }
    }

    private static void FoldStringData(ResourceType type, JsonObject obj)
    {
        if (type != ResourceCatalog.Secrets || obj["stringData"] is not JsonObject stringData)
        {
            return;
        }

        var data = obj["data"] as JsonObject ?? (JsonObject)(obj["data"] = new JsonObject());
        foreach (var (key, value) in stringData)
        {
            data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes((string?)value ?? ""));
        }

        obj.Remove("stringData");
    }

    private static void ResetStatus(ResourceType type, JsonObject obj)
    {
        switch (type.Resource)
        {
            case "namespaces":
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case "pods":
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                break;
            case "persistentvolumeclaims":
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case "services":
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case "deployments" or "statefulsets" or "replicasets" or "daemonsets" or "jobs" or "cronjobs" or "horizontalpodautoscalers" or "poddisruptionbudgets" or "resourcequotas":
                obj["status"] = new JsonObject();
                break;
            case "ingresses":
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
        }
    }

    private static string QosClass(JsonObject pod)
    {
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        bool Has(JsonObject c, string kind, string resource) => c["resources"]?[kind]?[resource] is not null;
        if (containers.All(c => Has(c, "limits", "cpu") && Has(c, "limits", "memory")
            && (!Has(c, "requests", "cpu") || Quantity.Parse(c["resources"]!["requests"]!["cpu"]) == Quantity.Parse(c["resources"]!["limits"]!["cpu"]))
            && (!Has(c, "requests", "memory") || Quantity.Parse(c["resources"]!["requests"]!["memory"]) == Quantity.Parse(c["resources"]!["limits"]!["memory"]))))
        {
            return "Guaranteed";
        }

        return containers.Any(c => Has(c, "requests", "cpu") || Has(c, "requests", "memory") || Has(c, "limits", "cpu") || Has(c, "limits", "memory"))
            ? "Burstable"
            : "BestEffort";
    }

    private void AllocateServiceAddresses(JsonObject service)
    {
        var spec = service["spec"]!.AsObject();
        var type = (string?)spec["type"];
        if (type != "ExternalName" && spec["clusterIP"] is null)
        {
            var n = _nextServiceIp++;
            var ip = $"10.96.{n / 250}.{n % 250 + 1}";
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
        }
        else if ((string?)spec["clusterIP"] == "None")
        {
            spec["clusterIPs"] ??= new JsonArray("None");
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                port["nodePort"] ??= _nextNodePort++;
            }
        }
    }

    private static void LabelJob(JsonObject job, string uid, string name)
    {
        var spec = job["spec"]!.AsObject();
        if ((bool?)spec["manualSelector"] == true)
        {
            return;
        }

        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        var template = spec["template"]!.AsObject();
        var templateMeta = template["metadata"] as JsonObject ?? (JsonObject)(template["metadata"] = new JsonObject());
        var labels = templateMeta["labels"] as JsonObject ?? (JsonObject)(templateMeta["labels"] = new JsonObject());
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
    }

    /// <summary>What the service account and root CA publisher controllers put in every new namespace.</summary>
    private void SeedNamespace(string ns)
    {
        Create(ResourceCatalog.ServiceAccounts, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } }, "controller:serviceaccount");
        Create(ResourceCatalog.ConfigMaps, ns, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kube-root-ca.crt",
                ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." },
            },
            ["data"] = new JsonObject { ["ca.crt"] = "-----BEGIN CERTIFICATE-----\nKUBESIM-SIMULATED-CA\n-----END CERTIFICATE-----\n" },
        }, "controller:root-ca-cert-publisher");
        if (Faults.IsStuck(ns))
        {
            SeedStuckObject(ns);
        }
    }

    private void OrphanDependents(string ownerUid)
    {
        foreach (var type in ResourceCatalog.All)
        {
            foreach (var dependent in Store.List(type, null, o => OwnerUids(o).Contains(ownerUid)))
            {
                Mutate(type, (string?)dependent["metadata"]!["namespace"], (string)dependent["metadata"]!["name"]!, o =>
                {
                    var owners = (JsonArray)o["metadata"]!["ownerReferences"]!;
                    var kept = owners.Where(r => (string?)r?["uid"] != ownerUid).Select(r => r?.DeepClone()).ToArray();
                    if (kept.Length == 0)
                    {
                        o["metadata"]!.AsObject().Remove("ownerReferences");
                    }
                    else
                    {
                        o["metadata"]!["ownerReferences"] = new JsonArray(kept);
                    }
                }, "controller:garbage-collector");
            }
        }
    }

    internal static IEnumerable<string> OwnerUids(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray ?? []).Select(r => (string?)r?["uid"]).OfType<string>();

    private static JsonObject SuccessStatus(ResourceType type, string name, string? uid)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Resource;
        details["uid"] = uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    private JsonObject Recorded(string verb, ResourceType type, string? ns, string? name, string actor, Func<JsonObject> action)
    {
        try
        {
            var result = action();
            var status = (string?)result["metadata"]?["labels"]?["status"];
            Operations.Record(verb, type.QualifiedResource, type.Namespaced ? ns ?? (string?)result["metadata"]?["namespace"] : null,
                name ?? (string?)result["metadata"]?["name"], verb == "create" ? 201 : 200, actor, type == ResourceCatalog.Secrets ? status : null);
            return result;
        }
        catch (StatusException e)
        {
            Operations.Record(verb, type.QualifiedResource, type.Namespaced ? ns : null, name, e.Code, actor, e.Reason);
            throw;
        }
    }
}

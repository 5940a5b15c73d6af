using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Admission;

/// <summary>The validation a real API server does that clients are most likely to trip over, with its messages.</summary>
public static partial class Validation
{
    private const string SubdomainDetail = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelDetail = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1035Detail = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    private const string LabelValueDetail = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    /// <summary>Checks a name as the server checks the name of an object of this type (in URLs and bodies).</summary>
    public static FieldError? CheckName(ResourceType type, string name)
    {
        if (type.Resource is "namespaces")
        {
            return name.Length > 63 ? FieldError.InvalidValue("metadata.name", name, "must be no more than 63 characters")
                : !Dns1123Label().IsMatch(name) ? FieldError.InvalidValue("metadata.name", name, LabelDetail) : null;
        }

        if (type.Resource is "services")
        {
            return name.Length > 63 ? FieldError.InvalidValue("metadata.name", name, "must be no more than 63 characters")
                : !Dns1035Label().IsMatch(name) ? FieldError.InvalidValue("metadata.name", name, Dns1035Detail) : null;
        }

        if (type.Resource is "roles" or "rolebindings" or "clusterroles" or "clusterrolebindings")
        {
            return name.Contains('/') || name is "." or ".." ? FieldError.InvalidValue("metadata.name", name, "may not contain '/'") : null;
        }

        return name.Length > 253 ? FieldError.InvalidValue("metadata.name", name, "must be no more than 253 characters")
            : !Subdomain().IsMatch(name) ? FieldError.InvalidValue("metadata.name", name, SubdomainDetail) : null;
    }

    public static void Validate(ResourceType type, JsonObject obj)
    {
        var name = (string?)obj["metadata"]?["name"] ?? "";
        var errors = new List<FieldError>();
        if (CheckName(type, name) is { } nameError)
        {
            errors.Add(nameError);
        }

        CheckLabels(obj["metadata"]?["labels"] as JsonObject, "metadata.labels", errors);
        var spec = obj["spec"] as JsonObject;
        switch (type.Resource)
        {
            case "deployments" or "replicasets" or "statefulsets" or "daemonsets":
                CheckWorkload(spec, errors, requireSelector: true);
                break;
            case "jobs":
                CheckWorkload(spec, errors, requireSelector: false);
                var restart = (string?)spec?["template"]?["spec"]?["restartPolicy"];
                if (restart is not ("Never" or "OnFailure"))
                {
                    errors.Add(FieldError.Unsupported("spec.template.spec.restartPolicy", restart ?? "", ["OnFailure", "Never"]));
                }

                break;
            case "pods":
                CheckPodSpec(spec, "spec", errors);
                break;
            case "services":
                if ((string?)spec?["clusterIP"] != "None" && (string?)spec?["type"] != "ExternalName" && (spec?["ports"] as JsonArray)?.Count is null or 0)
                {
                    errors.Add(FieldError.Required("spec.ports"));
                }

                break;
            case "persistentvolumeclaims":
                if ((spec?["accessModes"] as JsonArray)?.Count is null or 0)
                {
                    errors.Add(FieldError.Required("spec.accessModes"));
                }

                if (spec?["resources"]?["requests"]?["storage"] is null)
                {
                    errors.Add(FieldError.Required("spec.resources[storage]"));
                }

                break;
            case "ingresses":
                foreach (var (rule, i) in (spec?["rules"] as JsonArray ?? []).Select((r, i) => (r, i)))
                {
                    if ((string?)rule?["host"] is { } host && !Subdomain().IsMatch(host.TrimStart('*', '.')))
                    {
                        errors.Add(FieldError.InvalidValue($"spec.rules[{i}].host", host, SubdomainDetail));
                    }
                }

                break;
        }

        if (errors.Count > 0)
        {
            throw StatusException.Invalid(type, name, errors);
        }
    }

    private static void CheckWorkload(JsonObject? spec, List<FieldError> errors, bool requireSelector)
    {
        var selector = spec?["selector"] as JsonObject;
        var templateLabels = spec?["template"]?["metadata"]?["labels"] as JsonObject;
        if (requireSelector && selector is null)
        {
            errors.Add(FieldError.Required("spec.selector"));
        }
        else if (selector is not null && !LabelSelector.FromObject(selector).Matches(templateLabels))
        {
            errors.Add(new FieldError("spec.template.metadata.labels", "FieldValueInvalid", $"Invalid value: {templateLabels?.ToJsonString() ?? "map[string]string(nil)"}: `selector` does not match template `labels`"));
        }

        CheckLabels(templateLabels, "spec.template.metadata.labels", errors);
        CheckPodSpec(spec?["template"]?["spec"] as JsonObject, "spec.template.spec", errors);
    }

    private static void CheckPodSpec(JsonObject? spec, string path, List<FieldError> errors)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            errors.Add(FieldError.Required($"{path}.containers"));
            return;
        }

        foreach (var (container, i) in containers.Select((c, i) => (c, i)))
        {
            if (string.IsNullOrEmpty((string?)container?["name"]))
            {
                errors.Add(FieldError.Required($"{path}.containers[{i}].name"));
            }

            if (string.IsNullOrEmpty((string?)container?["image"]))
            {
                errors.Add(FieldError.Required($"{path}.containers[{i}].image"));
            }
        }
    }

    private static void CheckLabels(JsonObject? labels, string path, List<FieldError> errors)
    {
        foreach (var (key, value) in labels ?? [])
        {
            var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
            if (text.Length > 63 || !LabelValue().IsMatch(text))
            {
                errors.Add(FieldError.InvalidValue($"{path}", text, text.Length > 63 ? "must be no more than 63 characters" : LabelValueDetail));
            }

            var nameOnly = key.Contains('/') ? key[(key.IndexOf('/') + 1)..] : key;
            if (nameOnly.Length is 0 or > 63)
            {
                errors.Add(FieldError.InvalidValue($"{path}", key, "name part must be no more than 63 characters"));
            }
        }
    }
}

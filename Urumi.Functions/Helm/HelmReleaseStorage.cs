using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Urumi.Functions.Helm;

/// <summary>
/// Helm's release records, as Helm's default storage driver keeps them: one Secret per revision
/// (sh.helm.release.v1.NAME.vN, labels owner=helm, name, status, version) holding base64 of gzipped JSON.
/// </summary>
public sealed class HelmReleaseStorage(IKubernetes kubernetes)
{
    public const string UnlockedDescription = "Marked failed by Urumi: the helm operation that left it pending was interrupted";

    /// <summary>The latest revision of a release from its storage Secrets, or null when there is none.</summary>
    public async Task<HelmRelease?> LatestAsync(string release, string ns, CancellationToken cancellationToken = default)
    {
        var latest = await LatestSecretAsync(release, ns, cancellationToken);
        return latest is null ? null : ToRelease(latest, Decode(latest));
    }

    /// <summary>
    /// Marks the latest revision failed when it is pending (what Flux's helm-controller does to a locked
    /// release), so the next upgrade can run. Returns the release as it is afterwards; null if there is none.
    /// The Secret is replaced with its resourceVersion, but a helm waiting for a rollout writes nothing until it ends:
    /// only the holder of the release's lease may call this (<see cref="ReleaseExclusion"/>), so no helm is running.
    /// </summary>
    public async Task<HelmRelease?> UnlockAsync(string release, string ns, CancellationToken cancellationToken = default)
    {
        var secret = await LatestSecretAsync(release, ns, cancellationToken);
        if (secret is null)
        {
            return null;
        }
        var record = Decode(secret);
        var current = ToRelease(secret, record);
        if (!current.IsLocked)
        {
            return current;
        }
        record["info"]!["status"] = "failed";
        record["info"]!["description"] = UnlockedDescription;
        secret.Data["release"] = Encode(record);
        secret.Metadata.Labels["status"] = "failed";
        var replaced = await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, secret.Metadata.Name, ns, cancellationToken: cancellationToken);
        return ToRelease(replaced, Decode(replaced));
    }

    private async Task<V1Secret?> LatestSecretAsync(string release, string ns, CancellationToken cancellationToken)
    {
        var secrets = await kubernetes.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: $"owner=helm,name={release}", cancellationToken: cancellationToken);
        return secrets.Items.MaxBy(s => s.Metadata.Labels is { } labels && labels.TryGetValue("version", out var text) && int.TryParse(text, out var v) ? v : 0);
    }

    private static HelmRelease ToRelease(V1Secret secret, JsonNode record) => new(
        record["name"]!.GetValue<string>(),
        record["namespace"]!.GetValue<string>(),
        record["version"]!.GetValue<int>(),
        HelmRelease.ParseStatus(record["info"]?["status"]?.GetValue<string>()),
        record["info"]?["description"]?.GetValue<string>() ?? "");

    private static JsonNode Decode(V1Secret secret)
    {
        var payload = Convert.FromBase64String(Encoding.ASCII.GetString(secret.Data["release"]));
        // Helm gzips the record; very old releases are plain JSON.
        if (payload is [0x1f, 0x8b, 0x08, ..])
        {
            using var gzip = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
            return JsonNode.Parse(gzip)!;
        }
        return JsonNode.Parse(payload)!;
    }

    private static byte[] Encode(JsonNode record)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(record.ToJsonString()));
        }
        return Encoding.ASCII.GetBytes(Convert.ToBase64String(buffer.ToArray()));
    }
}

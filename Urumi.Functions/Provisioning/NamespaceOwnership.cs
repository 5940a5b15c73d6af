using k8s.Models;

namespace Urumi.Functions.Provisioning;

/// <summary>Whose a namespace named after a store id is, from that store's point of view.</summary>
public enum Ownership
{
    /// <summary>There is no namespace of that name.</summary>
    Missing,

    /// <summary>It carries the labels the store's own provisioning created it with: managed by urumi, this store id, this owner.</summary>
    Ours,

    /// <summary>It exists without those labels: another store's, another owner's, or not urumi's at all.</summary>
    Foreign,
}

/// <summary>
/// The one rule for every act on a store's cluster objects (namespace, quota, limit range, network policy,
/// credentials, helm install, upgrade and uninstall, rollout reads, delete): they are made only in a namespace that
/// is <see cref="Ownership.Ours"/>. Urumi labels a namespace in the request that creates it, so a namespace that
/// exists without this store's labels was never this store's, and it is never adopted: nothing in it is read,
/// relabelled, changed, uninstalled or deleted. Helm keeps a release's records in the release's namespace, so a
/// release found in a namespace that is ours was installed by this store.
/// </summary>
public static class NamespaceOwnership
{
    public static Ownership Of(V1Namespace? ns, StoreTarget store)
    {
        if (ns is null)
        {
            return Ownership.Missing;
        }
        IReadOnlyDictionary<string, string> labels = ns.Metadata?.Labels?.AsReadOnly() ?? new Dictionary<string, string>().AsReadOnly();
        return labels.GetValueOrDefault(StoreResources.ManagedByLabel) == StoreResources.ManagedBy
            && labels.GetValueOrDefault(StoreResources.StoreIdLabel) == store.StoreId
            && labels.GetValueOrDefault(StoreResources.OwnerLabel) == StoreResources.LabelValue(store.Owner)
            ? Ownership.Ours
            : Ownership.Foreign;
    }

    /// <summary>The reason a provisioning that met a foreign namespace fails with (it names nothing of whose it is).</summary>
    public static string Refusal(string storeId) =>
        $"namespace {storeId} already exists and belongs to another store (or is not managed by urumi): it was left as it is";
}

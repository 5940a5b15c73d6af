using System.Security.Cryptography;

namespace Urumi.Functions.Stores;

/// <summary>Makes new store ids. An id only proposes: the create reserves it across all owners before using it.</summary>
public interface IStoreIdGenerator
{
    string NewId(string name);
}

/// <summary>
/// <c>{name}-{12 characters of [a-z0-9]}</c> from the operating system's CSPRNG: 36^12, about 2^62 (62 bits of
/// entropy) per id, so an id cannot be guessed, and the suffix never depends on the owner or the request. With a
/// name of at most 40 characters the id is at most 53: Helm's limit for a release name (the release and namespace
/// are named after the id), and a DNS label (at most 63) for the store's host name <c>{id}.{StoreDomain}</c>.
/// </summary>
public sealed class RandomStoreIds : IStoreIdGenerator
{
    public const int SuffixLength = 12;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public string NewId(string name) => $"{name}-{RandomNumberGenerator.GetString(Alphabet, SuffixLength)}";
}

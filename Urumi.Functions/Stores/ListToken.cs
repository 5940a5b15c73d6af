using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Urumi.Functions.Stores;

/// <summary>
/// The continuation token of the store list: the table's own token (next partition and row key), tagged with a hash
/// of the query's filter and base64url-encoded, so a token that was not given by the same list query is recognised
/// as such instead of being passed to the table, which would read it as some other place to start from.
/// </summary>
internal sealed partial class ListToken(string tag)
{
    private const string Version = "1";

    public static ListToken For(string? filter) =>
        new(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(filter ?? ""))).ToLowerInvariant()[..12]);

    public string Write(string tableToken) => $"{Version}.{tag}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(tableToken))}";

    public bool TryRead(string token, out string? tableToken)
    {
        tableToken = null;
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != Version || parts[1] != tag || !Base64Url.IsValid(parts[2]))
        {
            return false;
        }
        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[2]));
        if (!TableToken().IsMatch(text))
        {
            return false;
        }
        tableToken = text;
        return true;
    }

    /// <summary>Two keys as the table service encodes them (base64 and '!'-separated lengths), separated by a space.</summary>
    [GeneratedRegex(@"^[-A-Za-z0-9+/=!_*]{1,1024} [-A-Za-z0-9+/=!_*]{0,1024}\z")]
    private static partial Regex TableToken();
}

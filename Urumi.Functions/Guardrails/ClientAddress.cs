using System.Net;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Guardrails;

/// <summary>
/// The client's IP, for the rate limit and the audit trail. Behind an ingress every request comes from the ingress,
/// so when the direct peer is one of Urumi:TrustedProxies (addresses or CIDR ranges) the address is read from
/// X-Forwarded-For, right to left, up to the first hop that is not trusted: a client cannot forge the hops its own
/// proxy appends. With no trusted proxy (the default) the header is ignored.
/// </summary>
public sealed class ClientAddress(IOptions<UrumiOptions> options)
{
    private readonly IReadOnlyList<IPNetwork> _trusted = Parse(options.Value.TrustedProxies);

    public string Of(HttpContext context) =>
        Resolve(context.Connection.RemoteIpAddress, context.Request.Headers["X-Forwarded-For"].OfType<string>(), _trusted);

    public static string Resolve(IPAddress? peer, IEnumerable<string> forwardedFor, IReadOnlyList<IPNetwork> trusted)
    {
        if (peer is null)
        {
            return "unknown";
        }
        var current = Normal(peer);
        if (!IsTrusted(current, trusted))
        {
            return current.ToString();
        }
        var hops = forwardedFor.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        for (var i = hops.Count - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                // Not an address: nothing left of it can be trusted either.
                break;
            }
            current = Normal(hop);
            if (!IsTrusted(current, trusted))
            {
                break;
            }
        }
        return current.ToString();
    }

    /// <summary>Addresses and CIDR ranges separated by commas; throws FormatException naming a bad entry.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => IPNetwork.TryParse(entry, out var network) ? network
                : IPAddress.TryParse(entry, out var address) ? new IPNetwork(Normal(address), Normal(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
                : throw new FormatException($"'{entry}' is neither an IP address nor a CIDR range"))
            .ToList();

    private static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> trusted) => trusted.Any(n => n.Contains(address));

    private static IPAddress Normal(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Urumi.Functions.Configuration;
using IPNetwork = System.Net.IPNetwork;

namespace Urumi.Functions.Guardrails;

/// <summary>
/// The client's IP, for the rate limit and the audit trail. Behind an ingress every request comes from the ingress,
/// so when the direct peer is one of Urumi:TrustedProxies (addresses or CIDR ranges) the address is read from
/// X-Forwarded-For, right to left, up to the first hop that is not trusted: a client cannot forge the hops its own
/// proxy appends. With no trusted proxy (the default) the header is ignored.
/// </summary>
/// <remarks>
/// ASP.NET Core's ForwardedHeadersMiddleware reads the header (KnownProxies and KnownIPNetworks from
/// Urumi:TrustedProxies, ForwardLimit null so every trusted hop is walked), applied to a copy of the request's peer
/// and header rather than as middleware: under the Functions host the worker's ASP.NET Core pipeline is fixed
/// (forwarded headers trusting only the host on loopback, routing, the functions) and takes no middleware of ours,
/// while the self-host runs none of it, so the function asks here and both hosts give the same answer.
/// </remarks>
public sealed class ClientAddress(IOptions<UrumiOptions> options)
{
    private readonly ForwardedHeadersMiddleware? _forwarded = Parse(options.Value.TrustedProxies) is { Count: > 0 } trusted
        ? new(_ => Task.CompletedTask, NullLoggerFactory.Instance, Options.Create(ForwardedOptions(trusted)))
        : null;

    public string Of(HttpContext context)
    {
        if (_forwarded is null)
        {
            // No trusted proxy: the header is the client's word. (The middleware with nothing known would trust every hop.)
            return context.Connection.RemoteIpAddress is { } peer ? Normal(peer).ToString() : "unknown";
        }
        var copy = new DefaultHttpContext();
        copy.Connection.RemoteIpAddress = context.Connection.RemoteIpAddress;
        copy.Request.Headers[ForwardedHeadersDefaults.XForwardedForHeaderName] = context.Request.Headers[ForwardedHeadersDefaults.XForwardedForHeaderName];
        _forwarded.ApplyForwarders(copy);
        return copy.Connection.RemoteIpAddress is { } address ? Normal(address).ToString() : "unknown";
    }

    /// <summary>Addresses and CIDR ranges separated by commas; throws FormatException naming a bad entry.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => IPNetwork.TryParse(entry, out var network) ? network
                : IPAddress.TryParse(entry, out var address) ? new IPNetwork(Normal(address), Normal(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
                : throw new FormatException($"'{entry}' is neither an IP address nor a CIDR range"))
            .ToList();

    private static ForwardedHeadersOptions ForwardedOptions(IReadOnlyList<IPNetwork> trusted)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = null };
        // The defaults trust loopback: here only Urumi:TrustedProxies is trusted.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in trusted)
        {
            if (network.PrefixLength == (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
            {
                forwarded.KnownProxies.Add(network.BaseAddress);
            }
            else
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        }
        return forwarded;
    }

    private static IPAddress Normal(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

using Urumi.Hosting.Http;

namespace Urumi.Functions.Guardrails;

/// <summary>Who is calling: the owner their function key names (Auth:Keys:{owner}), or the admin, and from which IP (see <see cref="ClientAddress"/>).</summary>
public sealed record Caller(string Owner, bool IsAdmin, string Ip)
{
    public const string AdminOwner = "admin";

    public static Caller From(HttpContext context)
    {
        var key = FunctionKeys.CallerKeyName(context) ?? throw new InvalidOperationException("store functions are function-level: the key check runs first");
        var admin = key == FunctionKeys.AdminKeyName;
        return new Caller(admin ? AdminOwner : key, admin, context.RequestServices.GetRequiredService<ClientAddress>().Of(context));
    }

    /// <summary>The owner filter for reads: none for the admin, who sees every store.</summary>
    public string? OwnerFilter => IsAdmin ? null : Owner;

    public bool MaySee(string owner) => IsAdmin || owner == Owner;
}

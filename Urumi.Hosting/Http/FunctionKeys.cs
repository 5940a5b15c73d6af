using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;

namespace Urumi.Hosting.Http;

/// <summary>
/// Keys as in Azure Functions: Auth:AdminKey, and named function keys Auth:Keys:{name}. Each value may hold several
/// keys separated by commas or spaces, all valid at once, so a key is rotated without a moment when none works.
/// </summary>
public sealed class AuthOptions
{
    public string? AdminKey { get; set; }

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    public const string SharedKeyMessage = "Auth: a key is listed under two names (Auth:AdminKey or Auth:Keys:{name}): each key must name one owner, or a caller would act as whichever is checked first.";

    /// <summary>False when one key is listed under two names: its caller would be whichever name is checked first.</summary>
    public static bool EachKeyNamesOneCaller(AuthOptions auth)
    {
        var all = FunctionKeys.Split(auth.AdminKey).Select(k => (Name: FunctionKeys.AdminKeyName, Key: k))
            .Concat(auth.Keys.SelectMany(named => FunctionKeys.Split(named.Value).Select(k => (Name: named.Key, Key: k))));
        return all.GroupBy(k => k.Key, StringComparer.Ordinal).All(g => g.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count() == 1);
    }
}

/// <summary>Checks the x-functions-key header (or the code query) against a function's authorization level.</summary>
public sealed class FunctionKeys
{
    public const string AdminKeyName = "_admin";
    private const string CallerItem = "Urumi.Hosting.KeyName";
    private static readonly char[] Separators = [',', ' ', '\t', '\n', '\r'];
    private readonly string _adminKey;
    private readonly IReadOnlyList<(string Name, byte[] Key)> _keys;

    public FunctionKeys(IOptions<AuthOptions> options, ILogger<FunctionKeys> logger)
    {
        var auth = options.Value;
        var adminKeys = Split(auth.AdminKey);
        if (adminKeys.Length == 0)
        {
            adminKeys = [Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant()];
            logger.LogWarning("No Auth:AdminKey is configured; this run uses the generated admin key {AdminKey}", adminKeys[0]);
        }
        _adminKey = adminKeys[0];
        _keys = [.. adminKeys.Select(k => (AdminKeyName, Encoding.UTF8.GetBytes(k))),
            .. auth.Keys.SelectMany(named => Split(named.Value).Select(k => (named.Key, Encoding.UTF8.GetBytes(k))))];
    }

    /// <summary>The first admin key configured (or the one generated for this run): what the host's own calls use.</summary>
    public string AdminKey => _adminKey;

    /// <summary>The name of the key the caller authenticated with (AdminKeyName for the admin key), or null.</summary>
    public static string? CallerKeyName(HttpContext context) => context.Items[CallerItem] as string;

    /// <summary>Null when the caller may call at <paramref name="level"/>; otherwise the 401 to return.</summary>
    public IResult? Authorize(HttpContext context, AuthorizationLevel level)
    {
        var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        var name = presented is null ? null : Identify(presented);
        if (name is not null)
        {
            context.Items[CallerItem] = name;
        }
        var allowed = level switch
        {
            AuthorizationLevel.Anonymous => true,
            AuthorizationLevel.Function => name is not null,
            _ => name == AdminKeyName,
        };
        if (allowed)
        {
            return null;
        }
        return Problems.Create(StatusCodes.Status401Unauthorized, "unauthorized",
            presented is null ? "A key is required" : "The key is not valid here",
            presented is null
                ? $"This endpoint requires a{(level == AuthorizationLevel.Admin ? "n admin" : " function or admin")} key in the x-functions-key header or the code query parameter."
                : $"The key presented is not a{(level == AuthorizationLevel.Admin ? "n admin" : " function or admin")} key.");
    }

    private string? Identify(string presented)
    {
        var bytes = Encoding.UTF8.GetBytes(presented);
        foreach (var (name, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(bytes, key))
            {
                return name;
            }
        }
        return null;
    }

    internal static string[] Split(string? keys) => (keys ?? "").Split(Separators, StringSplitOptions.RemoveEmptyEntries);
}

using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;

namespace Urumi.Hosting.Http;

/// <summary>Keys as in Azure Functions: Auth:AdminKey, and named function keys Auth:Keys:{name}.</summary>
public sealed class AuthOptions
{
    public string? AdminKey { get; set; }

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Checks the x-functions-key header (or the code query) against a function's authorization level.</summary>
public sealed class FunctionKeys
{
    public const string AdminKeyName = "_admin";
    private const string CallerItem = "Urumi.Hosting.KeyName";
    private readonly string _adminKey;
    private readonly IReadOnlyList<(string Name, byte[] Key)> _keys;

    public FunctionKeys(IOptions<AuthOptions> options, ILogger<FunctionKeys> logger)
    {
        var auth = options.Value;
        if (string.IsNullOrWhiteSpace(auth.AdminKey))
        {
            _adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            logger.LogWarning("No Auth:AdminKey is configured; this run uses the generated admin key {AdminKey}", _adminKey);
        }
        else
        {
            _adminKey = auth.AdminKey;
        }
        _keys = auth.Keys.Where(k => !string.IsNullOrEmpty(k.Value)).Select(k => (k.Key, Encoding.UTF8.GetBytes(k.Value))).ToList();
    }

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
        if (CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(_adminKey)))
        {
            return AdminKeyName;
        }
        foreach (var (name, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(bytes, key))
            {
                return name;
            }
        }
        return null;
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Urumi.KubeSim.Auth;

/// <summary>
/// Bearer tokens and who they stand for: the cluster admin's (KubeSimOptions.Token, in system:masters) and
/// ServiceAccount tokens issued by <see cref="IssueServiceAccountToken"/>, as the TokenRequest API issues them.
/// </summary>
public sealed class Authentication(string? adminToken)
{
    private readonly ConcurrentDictionary<string, UserInfo> _tokens = new(StringComparer.Ordinal);

    /// <summary>A new random token that authenticates as system:serviceaccount:{ns}:{name}.</summary>
    public string IssueServiceAccountToken(string ns, string name)
    {
        var token = NewToken();
        _tokens[token] = UserInfo.ServiceAccount(ns, name);
        return token;
    }

    /// <summary>The user of an Authorization header; null when it carries no token this cluster knows.</summary>
    public UserInfo? Authenticate(string authorization)
    {
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return null;
        }
        var token = authorization["Bearer ".Length..];
        if (adminToken is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(adminToken)))
        {
            return UserInfo.Admin;
        }
        return _tokens.GetValueOrDefault(token);
    }

    /// <summary>32 random bytes as URL-safe base64: unguessable, and safe in a kubeconfig and a header.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>One authorization decision: who asked to do what, and whether RBAC allowed it.</summary>
public sealed record Access(long Sequence, string User, string Verb, string Group, string Resource, string Namespace, string Name, bool Allowed);

/// <summary>The record of every authorization decision (with RBAC on), reads included: what each user used.</summary>
public sealed class AccessLog(int capacity = 500_000)
{
    private readonly Queue<Access> _entries = new();
    private long _sequence;

    public void Record(UserInfo user, RequestAttributes r, bool allowed)
    {
        lock (_entries)
        {
            _entries.Enqueue(new Access(++_sequence, user.Name, r.Verb, r.Group, r.IsResourceRequest ? r.ResourceWithSubresource : r.Path, r.Namespace, r.Name, allowed));
            if (_entries.Count > capacity)
            {
                _entries.Dequeue();
            }
        }
    }

    public IReadOnlyList<Access> Query(Func<Access, bool>? filter = null)
    {
        lock (_entries)
        {
            return filter is null ? [.. _entries] : [.. _entries.Where(filter)];
        }
    }
}

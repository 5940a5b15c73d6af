using System.Text.Json.Nodes;

namespace Urumi.Medusa.Tests.Support;

/// <summary>
/// The seeded admin using the Admin API as the admin dashboard does on a local store, over plain http: log in,
/// turn the token into a session cookie, then call the Admin API with that cookie alone.
/// </summary>
public sealed class ShopOwner(MedusaStore store) : IDisposable
{
    private readonly JsonApi _anonymous = new(store.ServerPort, store.Chart.Url, new Dictionary<string, string>());
    private JsonApi? _session;

    /// <summary>Logs in; fails if the session cookie is one a browser would not keep over http (Secure).</summary>
    public async Task LogInAsync()
    {
        var email = store.SeedEnv("MEDUSA_ADMIN_EMAIL");
        var password = store.Chart.SecretValue("medusa-admin-password");
        var login = await _anonymous.OkAsync(_anonymous.PostAsync("/auth/user/emailpass", new { email, password }));
        var token = (string)login["token"]!;

        using var bearer = _anonymous.With("Authorization", $"Bearer {token}");
        var session = await bearer.PostAsync("/auth/session");
        Assert.True(session.Status == System.Net.HttpStatusCode.OK, $"POST /auth/session: {session}");
        Assert.Equal(store.Chart.Url, session.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var cookie = session.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.SingleOrDefault(v => v.StartsWith("connect.sid=", StringComparison.Ordinal))
            : null;
        Assert.True(cookie is not null,
            "POST /auth/session set no session cookie over http (a Secure cookie is not sent over plain http): the admin cannot log in");
        var attributes = cookie.Split(';').Select(a => a.Trim()).ToList();
        Assert.DoesNotContain(attributes, a => a.Equals("Secure", StringComparison.OrdinalIgnoreCase));
        _session = _anonymous.With("Cookie", attributes[0]);
    }

    public async Task<JsonArray> OrdersAsync()
    {
        var session = _session ?? throw new InvalidOperationException("log in first");
        var listed = await session.OkAsync(session.GetAsync("/admin/orders?fields=id,email,total,*items&limit=100"));
        return listed["orders"]!.AsArray();
    }

    /// <summary>How many of each thing the seed creates there are (products of the seeded handle, regions, ...).</summary>
    public async Task<Dictionary<string, int>> SeededCountsAsync()
    {
        var session = _session ?? throw new InvalidOperationException("log in first");
        string[] lists =
        [
            $"products?handle={store.SeedEnv("SEED_PRODUCT_HANDLE")}", "regions", "sales-channels", "stock-locations",
            "shipping-options", "shipping-profiles", "api-keys?type=publishable", "inventory-items", "users",
        ];
        var counts = new Dictionary<string, int>();
        foreach (var list in lists)
        {
            counts[list] = (int)(await session.OkAsync(session.GetAsync($"/admin/{list}")))["count"]!;
        }
        return counts;
    }

    public void Dispose()
    {
        _anonymous.Dispose();
        _session?.Dispose();
    }
}

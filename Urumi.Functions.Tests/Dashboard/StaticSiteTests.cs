using System.Net;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Dashboard;

/// <summary>The host serves the built dashboard at `/`, its index.html for client routes, and never for API routes.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class StaticSiteTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task The_site_is_served_at_the_root_client_routes_get_index_html_and_api_routes_do_not()
    {
        var site = Directory.CreateTempSubdirectory("urumi-site-").FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<!doctype html><title>site</title>");
        Directory.CreateDirectory(Path.Combine(site, "assets"));
        await File.WriteAllTextAsync(Path.Combine(site, "assets", "app.js"), "console.log('app')");
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Hosting__StaticFiles"] = site });
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };

        async Task<(HttpStatusCode Status, string? Type, string Body)> Get(string path)
        {
            var response = await anonymous.GetAsync(path);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }

        const string index = "<!doctype html><title>site</title>";
        Assert.Equal((HttpStatusCode.OK, "text/html", index), await Get("/"));
        Assert.Equal((HttpStatusCode.OK, "text/html", index), await Get("/stores/shop-1234"));
        Assert.Equal((HttpStatusCode.OK, "text/html", index), await Get("/audit?action=create"));
        Assert.Equal((HttpStatusCode.OK, "text/javascript", "console.log('app')"), await Get("/assets/app.js"));
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/assets/missing.js")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/no-such-function")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get("/api/stores")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get("/api/info")).Status);
    }
}

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

    [Fact]
    public async Task The_Dashboard_function_serves_the_site_under_its_route_with_its_base_and_GET_api_is_a_404_problem()
    {
        var site = Directory.CreateTempSubdirectory("urumi-site-").FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<!doctype html><base href=\"/\" /><title>site</title>");
        Directory.CreateDirectory(Path.Combine(site, "assets"));
        await File.WriteAllTextAsync(Path.Combine(site, "assets", "app.js"), "console.log('app')");
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(site)!, "outside.txt"), "secret");
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, "helm3", new Dictionary<string, string> { ["Hosting__StaticFiles"] = site });
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };

        async Task<(HttpStatusCode Status, string? Type, string Body)> Get(string path)
        {
            var response = await anonymous.GetAsync(path);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }

        const string underFunction = "<!doctype html><base href=\"/api/dashboard/\" /><title>site</title>";
        Assert.Equal((HttpStatusCode.OK, "text/html", underFunction), await Get("/api/dashboard/"));
        Assert.Equal((HttpStatusCode.OK, "text/html", underFunction), await Get("/api/dashboard"));
        Assert.Equal((HttpStatusCode.OK, "text/html", underFunction), await Get("/api/dashboard/stores/shop-1234"));
        Assert.Equal((HttpStatusCode.OK, "text/javascript", "console.log('app')"), await Get("/api/dashboard/assets/app.js"));
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), Head(await Get("/api/dashboard/assets/missing.js")));
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/dashboard/%2e%2e/outside.txt")).Status);
        Assert.Equal((HttpStatusCode.OK, "text/html", "<!doctype html><base href=\"/\" /><title>site</title>"), await Get("/"));
        var api = await Get("/api");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), Head(api));
        Assert.Contains("https://urumi.dev/problems/not-found", api.Body);
        Assert.Equal(HttpStatusCode.NotFound, (await Get("/api/")).Status);
    }

    [Fact]
    public async Task Functions_metadata_lists_the_Dashboard_function_for_the_Functions_host()
    {
        var metadata = Path.Combine(Path.GetDirectoryName(Urumi.Testing.Repo.FunctionsDll)!, "functions.metadata");

        var functions = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(metadata))!.AsArray();

        var dashboard = functions.Single(f => (string?)f!["name"] == "Dashboard")!;
        var trigger = dashboard["bindings"]!.AsArray().Single(b => (string?)b!["type"] == "httpTrigger")!;
        Assert.Equal("dashboard/{*path}", (string?)trigger["route"]);
        Assert.Equal("Anonymous", (string?)trigger["authLevel"]);
        Assert.Equal(["get"], trigger["methods"]!.AsArray().Select(m => (string?)m));
    }

    private static (HttpStatusCode, string?) Head((HttpStatusCode Status, string? Type, string Body) answer) => (answer.Status, answer.Type);
}

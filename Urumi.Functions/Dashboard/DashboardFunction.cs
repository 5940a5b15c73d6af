using Microsoft.Azure.Functions.Worker;
using Urumi.Hosting.Http;

namespace Urumi.Functions.Dashboard;

/// <summary>
/// The dashboard as an HTTP function, for the Functions host (func start, Azure), which serves only functions and
/// only under its route prefix: `/api/dashboard/` (anonymous, GET; the site calls the API with its keys). The
/// self-host also serves the site at `/`.
/// </summary>
public sealed class DashboardFunction(IConfiguration configuration, IHostEnvironment environment)
{
    public const string Route = "dashboard";

    [Function("Dashboard")]
    public Task<IResult> Serve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/{*path}")] HttpRequest request,
        string? path)
    {
        if (StaticSite.Find(configuration, environment.ContentRootPath) is not { } site)
        {
            return Task.FromResult(Problems.Create(404, "dashboard-not-built", "The dashboard is not built",
                "No index.html in Hosting:StaticFiles (default dashboard/dist): run eng/build-dashboard.sh."));
        }
        // The path the site is served under, whatever prefix the host gives it: the request's, less the file's path.
        var full = request.Path.Value ?? "/";
        var under = path is { Length: > 0 } && full.EndsWith(path, StringComparison.Ordinal) ? full[..^path.Length] : full;
        var basePath = $"{request.PathBase}{under.TrimEnd('/')}/";
        return site.ServeAsync(path, basePath, request.HttpContext.RequestAborted);
    }
}

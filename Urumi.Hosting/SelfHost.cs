using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Health;
using Urumi.Hosting.Http;

namespace Urumi.Hosting;

/// <summary>
/// Runs a function app's functions without the Functions host, the way `func start` presents them: host.json and
/// local.settings.json, HTTP functions under the route prefix with function and admin keys, orchestrations and
/// activities on DurableTask.Core over DurableTask.AzureStorage, the Durable Functions management API, /health and /alive.
/// </summary>
public static class SelfHost
{
    /// <summary>A builder whose host.json and local.settings.json come from <paramref name="contentRoot"/>.</summary>
    public static SelfHostBuilder CreateBuilder(string[] args, string contentRoot, Type[] functionTypes)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        FunctionsHostConfiguration.Apply(builder.Configuration, contentRoot, args);
        return new SelfHostBuilder(builder, functionTypes);
    }
}

/// <summary>The self-host's builder: add the app's services, then <see cref="Build"/>.</summary>
public sealed class SelfHostBuilder
{
    private readonly WebApplicationBuilder _builder;
    private readonly IReadOnlyList<HttpFunction> _httpFunctions;

    internal SelfHostBuilder(WebApplicationBuilder builder, Type[] functionTypes)
    {
        _builder = builder;
        _httpFunctions = HttpFunction.FindIn(functionTypes);
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection("Auth")).Validate(AuthOptions.EachKeyNamesOneCaller, AuthOptions.SharedKeyMessage).ValidateOnStart();
        builder.Services.AddSingleton<FunctionKeys>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddDurableSelfHost(builder.Configuration, functionTypes);
        builder.Services.AddSelfHostHealth();
    }

    public IServiceCollection Services => _builder.Services;

    public ConfigurationManager Configuration => _builder.Configuration;

    public ILoggingBuilder Logging => _builder.Logging;

    /// <summary>Builds the app with every function endpoint mapped. Declaration errors stop it here.</summary>
    public WebApplication Build()
    {
        var app = _builder.Build();
        _ = app.Services.GetRequiredService<FunctionKeys>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var routePrefix = app.Configuration[$"{FunctionsHostConfiguration.HostSection}:extensions:http:routePrefix"] ?? "api";
        app.MapHttpFunctions(_httpFunctions, routePrefix);
        app.MapDurableSelfHostManagement();
        MapStaticSite(app, routePrefix);
        app.MapSelfHostHealth();
        return app;
    }

    /// <summary>
    /// The built single-page app (<see cref="StaticSite"/>) at `/` when there is one; a GET that no function, file or
    /// route under the route prefix or /runtime answers gets its index.html, so client routes survive a reload. The
    /// route prefix itself (`GET /api`) is a 404 problem, not the site.
    /// </summary>
    private static void MapStaticSite(WebApplication app, string routePrefix)
    {
        var prefix = routePrefix.Trim('/');
        if (prefix.Length > 0)
        {
            app.MapGet("/" + prefix, () => Problems.Create(404, "not-found", "Not found",
                $"/{prefix} itself is not a route: the API's routes are under /{prefix}/ (see the README)."));
        }
        if (StaticSite.Find(app.Configuration, app.Environment.ContentRootPath) is not { } site)
        {
            return;
        }
        var reserved = prefix.Length > 0 ? $"{Regex.Escape(prefix)}|runtime" : "runtime";
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = site.Files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = site.Files });
        app.MapFallbackToFile($"{{*path:nonfile:regex(^(?!({reserved})(/|$)).*$)}}", "index.html",
            new StaticFileOptions { FileProvider = site.Files });
    }
}

using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Urumi.Durable.Storage;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Hosting;

/// <summary>
/// Builds a function app that behaves like `func start`: host.json and local.settings.json, HTTP functions under
/// the route prefix, the durable management API, keys, /health and /alive.
/// </summary>
public static class FunctionsApplication
{
    public static FunctionsApplicationBuilder CreateBuilder(string[] args, params Assembly[] functionAssemblies)
    {
        var assemblies = functionAssemblies.Length > 0 ? functionAssemblies : [Assembly.GetEntryAssembly()!];
        return CreateBuilder(args, Directory.GetCurrentDirectory(), assemblies.SelectMany(a => a.GetTypes()).ToArray());
    }

    /// <summary>A builder whose host.json and local.settings.json come from <paramref name="contentRoot"/>.</summary>
    public static FunctionsApplicationBuilder CreateBuilder(string[] args, string contentRoot, Type[] functionTypes)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        FunctionsHostConfiguration.Apply(builder.Configuration, contentRoot, args);
        return new FunctionsApplicationBuilder(builder, functionTypes);
    }
}

public sealed class FunctionsApplicationBuilder
{
    private readonly WebApplicationBuilder _builder;

    internal FunctionsApplicationBuilder(WebApplicationBuilder builder, Type[] functionTypes)
    {
        _builder = builder;
        var durable = builder.Configuration.GetSection($"{FunctionsHostConfiguration.HostSection}:extensions:durableTask");
        builder.Services.Configure<DurableTaskOptions>(durable);
        builder.Services.Configure<DurableTaskOptions>(durable.GetSection("storageProvider"));
        builder.Services.Configure<DurableTaskOptions>(builder.Configuration.GetSection("DurableTask"));
        builder.Services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection("Auth"));
        builder.Services.AddSingleton<FunctionKeys>();
        builder.Services.AddProblemDetails();
        builder.Services.AddDurableTask(functionTypes);
    }

    public IServiceCollection Services => _builder.Services;

    public ConfigurationManager Configuration => _builder.Configuration;

    public IHostEnvironment Environment => _builder.Environment;

    public ILoggingBuilder Logging => _builder.Logging;

    public WebApplicationBuilder WebApplicationBuilder => _builder;

    /// <summary>Builds the app with every function endpoint mapped. Declaration errors stop it here.</summary>
    public WebApplication Build()
    {
        var app = _builder.Build();
        var registry = app.Services.GetRequiredService<FunctionRegistry>();
        _ = app.Services.GetRequiredService<FunctionKeys>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var routePrefix = app.Configuration[$"{FunctionsHostConfiguration.HostSection}:extensions:http:routePrefix"] ?? "api";
        app.MapHttpFunctions(registry, routePrefix);
        app.MapDurableManagementApi();
        // Dashboard hook (issue 17; the lead moves it to the new host): the built single-page app in
        // Hosting:StaticFiles (dashboard/dist under the content root by default), served at `/`; a GET that no
        // function, file or /api|/runtime route answers gets its index.html, so client routes survive a reload.
        var site = Path.GetFullPath(app.Configuration["Hosting:StaticFiles"] ?? "dashboard/dist", app.Environment.ContentRootPath);
        if (File.Exists(Path.Combine(site, "index.html")))
        {
            var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(site);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            app.MapFallbackToFile("{*path:nonfile:regex(^(?!api/|runtime/).*$)}", "index.html", new StaticFileOptions { FileProvider = files });
        }
        app.MapGet("/alive", () => Results.Ok(new { status = "Alive" }));
        app.MapGet("/health", async (ITaskHubStorage storage, CancellationToken ct) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await storage.GetInstanceAsync("__urumi_health__", timeout.Token);
                return Results.Ok(new { status = "Healthy", taskHub = storage.TaskHubName });
            }
            catch (Exception e) when (TransientErrors.IsTransient(e) || e is Azure.RequestFailedException)
            {
                return Problems.Create(503, "storage-unavailable", "Storage is unreachable", e.Message);
            }
        });
        return app;
    }
}

using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Http;

namespace Urumi.Hosting;

/// <summary>
/// Builds a function app either as the Azure Functions isolated worker (when the Functions host started the process)
/// or self-hosted: the same function classes, host.json and local.settings.json, without the Functions host.
/// </summary>
public static class FunctionsApp
{
    /// <summary>
    /// The one decision: the Functions host starts its worker with the address of its gRPC channel
    /// (--functions-uri on the command line, or Functions:Worker:HostEndpoint); nothing else passes it.
    /// </summary>
    public static bool IsStartedByFunctionsHost(string[] args) =>
        args.Any(a => a.StartsWith("--functions-uri", StringComparison.Ordinal))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint"));

    /// <summary>The host of the function app in <paramref name="functions"/>; <paramref name="configure"/> adds the app's services.</summary>
    public static IHost Create(string[] args, Assembly functions, Action<IServiceCollection, IConfiguration> configure)
    {
        if (IsStartedByFunctionsHost(args))
        {
            var worker = FunctionsApplication.CreateBuilder(args);
            worker.ConfigureFunctionsWebApplication();
            // The host reads host.json itself; the app's own services read the same file (the task hub's name).
            FunctionsHostConfiguration.AddHostJson(worker.Configuration, AppContext.BaseDirectory);
            configure(worker.Services, worker.Configuration);
            return worker.Build();
        }
        var builder = SelfHost.CreateBuilder(args, Directory.GetCurrentDirectory(), functions.GetTypes());
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }
}

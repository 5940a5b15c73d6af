using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Hosting.Client;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Http;
using Urumi.Hosting.Management;
using Urumi.Hosting.Worker;

namespace Urumi.Hosting;

/// <summary>The self-host's durable parts: the worker running the app's orchestrations and activities, the client, the management API.</summary>
internal static class DurableSelfHost
{
    public static IServiceCollection AddDurableSelfHost(this IServiceCollection services, IConfiguration configuration, Type[] functionTypes)
    {
        var index = FunctionIndex.FromTypes(functionTypes);
        services.AddDurableTaskHub(configuration);
        services.AddDurableFunctionsWorker(index);
        services.Configure<DurableTaskWorkerOptions>(o => o.DataConverter = WorkerJson.Converter);
        services.AddDurableTaskClient(b => b.UseOrchestrationService());
        services.Configure<OrchestrationServiceClientOptions>(o => o.DataConverter = WorkerJson.Converter);
        services.AddSingleton(new KnownOrchestrators(index.Orchestrators.Select(o => o.Name)));
        return services;
    }

    /// <summary>/runtime/webhooks/durabletask/..., for the admin key only (the Functions host asks for its system key).</summary>
    public static IEndpointRouteBuilder MapDurableSelfHostManagement(this IEndpointRouteBuilder app)
    {
        app.MapDurableTaskManagementApi().AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<FunctionKeys>().Authorize(context.HttpContext, AuthorizationLevel.Admin) ?? await next(context))
            .AddEndpointFilter(ManagementInput.CheckAsync);
        return app;
    }
}

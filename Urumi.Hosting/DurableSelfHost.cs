using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Hosting.Client;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Worker;

namespace Urumi.Hosting;

/// <summary>The self-host's durable parts: the worker running the app's orchestrations and activities, the client, the management API.</summary>
internal static class DurableSelfHost
{
    public static IServiceCollection AddDurableSelfHost(this IServiceCollection services, IConfiguration configuration, Type[] functionTypes)
    {
        services.AddDurableTaskHub(configuration);
        services.AddDurableFunctionsWorker(FunctionIndex.FromTypes(functionTypes));
        services.Configure<DurableTaskWorkerOptions>(o => o.DataConverter = WorkerJson.Converter);
        services.AddDurableTaskClient(b => b.UseOrchestrationService());
        services.Configure<OrchestrationServiceClientOptions>(o => o.DataConverter = WorkerJson.Converter);
        return services;
    }

    public static IEndpointRouteBuilder MapDurableSelfHostManagement(this IEndpointRouteBuilder app) => app;
}

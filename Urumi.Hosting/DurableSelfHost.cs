using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
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
    /// <summary>
    /// JSON as the Functions isolated worker writes it by default (camelCase, System.Text.Json's web defaults), so
    /// inputs, outputs and custom status read the same whichever host wrote them.
    /// </summary>
    public static readonly JsonDataConverter Converter = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    });

    public static IServiceCollection AddDurableSelfHost(this IServiceCollection services, IConfiguration configuration, Type[] functionTypes)
    {
        services.AddDurableTaskHub(configuration);
        services.AddDurableFunctionsWorker(FunctionIndex.FromTypes(functionTypes));
        services.Configure<DurableTaskWorkerOptions>(o => o.DataConverter = Converter);
        services.AddDurableTaskClient(b => b.UseOrchestrationService());
        services.Configure<DurableTaskClientOptions>(o => o.DataConverter = Converter);
        return services;
    }

    public static IEndpointRouteBuilder MapDurableSelfHostManagement(this IEndpointRouteBuilder app) => app;
}

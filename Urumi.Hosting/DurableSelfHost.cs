using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Urumi.Hosting;

/// <summary>The self-host's durable parts: the worker running the app's orchestrations and activities, the client, the management API.</summary>
internal static class DurableSelfHost
{
    public static IServiceCollection AddDurableSelfHost(this IServiceCollection services, IConfiguration configuration, Type[] functionTypes) => services;

    public static IEndpointRouteBuilder MapDurableSelfHostManagement(this IEndpointRouteBuilder app) => app;
}

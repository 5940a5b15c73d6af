using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Urumi.Durable.Client;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Hosting;

/// <summary>Maps the app's [HttpTrigger] functions under the route prefix, with their key checks.</summary>
public static partial class HttpFunctionEndpoints
{
    public static IEndpointRouteBuilder MapHttpFunctions(this IEndpointRouteBuilder app, FunctionRegistry registry, string routePrefix)
    {
        var prefix = string.IsNullOrEmpty(routePrefix) ? "" : "/" + routePrefix.Trim('/');
        foreach (var function in registry.HttpFunctions)
        {
            app.MapMethods($"{prefix}/{function.Route.TrimStart('/')}", function.Methods, context => InvokeAsync(context, function))
                .WithName(function.Name);
        }
        return app;
    }

    private static async Task InvokeAsync(HttpContext context, HttpFunction function)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Urumi.Durable.Http");
        var watch = Stopwatch.StartNew();
        if (services.GetRequiredService<FunctionKeys>().Authorize(context, function.AuthLevel) is { } denied)
        {
            await denied.ExecuteAsync(context);
            HttpFunctionRan(logger, function.Name, context.Response.StatusCode, watch.ElapsedMilliseconds);
            return;
        }
        var method = function.Method;
        var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        var args = method.GetParameters().Select(p => Bind(p, context, function)).ToArray();
        var returned = FunctionRegistry.Invoke(method, target, args);
        var result = await FunctionRegistry.UnwrapAsync(returned);
        var response = result switch
        {
            IResult r => r,
            null => Results.NoContent(),
            _ => Results.Json(result),
        };
        await response.ExecuteAsync(context);
        HttpFunctionRan(logger, function.Name, context.Response.StatusCode, watch.ElapsedMilliseconds);
    }

    private static object? Bind(ParameterInfo p, HttpContext context, HttpFunction function)
    {
        if (p.ParameterType == typeof(HttpRequest))
        {
            return context.Request;
        }
        if (p.ParameterType == typeof(DurableTaskClient))
        {
            return context.RequestServices.GetRequiredService<DurableTaskClient>();
        }
        if (p.ParameterType == typeof(FunctionContext))
        {
            return new FunctionContext(function.Name, context.RequestServices);
        }
        if (p.ParameterType == typeof(CancellationToken))
        {
            return context.RequestAborted;
        }
        var raw = context.Request.RouteValues.TryGetValue(p.Name!, out var value) ? value?.ToString() : context.Request.Query[p.Name!].FirstOrDefault();
        if (p.ParameterType == typeof(int))
        {
            return int.TryParse(raw, out var i) ? i : 0;
        }
        if (p.ParameterType == typeof(Guid))
        {
            return Guid.TryParse(raw, out var g) ? g : Guid.Empty;
        }
        return raw;
    }

    [LoggerMessage(2001, LogLevel.Information, "Function {Name} (HTTP) returned {StatusCode} in {ElapsedMs} ms")]
    private static partial void HttpFunctionRan(ILogger logger, string name, int statusCode, long elapsedMs);
}

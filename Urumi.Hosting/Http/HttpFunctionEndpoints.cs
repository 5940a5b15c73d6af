using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Http;

/// <summary>An [HttpTrigger] function: its name, route (under the route prefix), methods, key level and method.</summary>
public sealed record HttpFunction(string Name, string Route, string[] Methods, AuthorizationLevel AuthLevel, MethodInfo Method)
{
    /// <summary>
    /// Every method of <paramref name="types"/> declared with [Function] whose parameters include an [HttpTrigger].
    /// The route defaults to the function name and the methods to GET and POST, as in Azure Functions.
    /// </summary>
    public static IReadOnlyList<HttpFunction> FindIn(IEnumerable<Type> types) =>
        [.. from type in types
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            let function = method.GetCustomAttribute<FunctionAttribute>()
            let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)
            where function is not null && trigger is not null
            select new HttpFunction(function.Name, trigger.Route ?? function.Name,
                trigger.Methods is { Length: > 0 } methods ? [.. methods.Select(m => m.ToUpperInvariant())] : ["GET", "POST"],
                trigger.AuthLevel, method)];
}

/// <summary>
/// Maps HTTP-triggered functions as ASP.NET Core endpoints, as the Functions host's ASP.NET Core integration calls
/// them: the HttpRequest, [DurableClient] DurableTaskClient, CancellationToken (the request's) and route values are
/// bound; an IResult or IActionResult is executed, any other value written as JSON, nothing as 204.
/// </summary>
public static partial class HttpFunctionEndpoints
{
    public static IEndpointRouteBuilder MapHttpFunctions(this IEndpointRouteBuilder app, IEnumerable<HttpFunction> functions, string routePrefix)
    {
        var prefix = string.IsNullOrEmpty(routePrefix) ? "" : "/" + routePrefix.Trim('/');
        foreach (var function in functions)
        {
            app.MapMethods($"{prefix}/{function.Route.TrimStart('/')}", function.Methods, context => InvokeAsync(context, function))
                .WithName(function.Name);
        }
        return app;
    }

    private static async Task InvokeAsync(HttpContext context, HttpFunction function)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Urumi.Hosting.Http");
        var watch = Stopwatch.StartNew();
        if ((SingleValues.Problem(context.Request) ?? services.GetRequiredService<FunctionKeys>().Authorize(context, function.AuthLevel)) is { } denied)
        {
            await denied.ExecuteAsync(context);
            HttpFunctionRan(logger, function.Name, context.Response.StatusCode, watch.ElapsedMilliseconds);
            return;
        }
        var method = function.Method;
        var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        var args = method.GetParameters().Select(p => Bind(p, context)).ToArray();
        var returned = method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, args, null);
        await WriteAsync(context, await UnwrapAsync(returned));
        HttpFunctionRan(logger, function.Name, context.Response.StatusCode, watch.ElapsedMilliseconds);
    }

    private static object? Bind(ParameterInfo p, HttpContext context)
    {
        if (p.ParameterType == typeof(HttpRequest))
        {
            return context.Request;
        }
        if (p.ParameterType == typeof(DurableTaskClient))
        {
            return context.RequestServices.GetRequiredService<DurableTaskClient>();
        }
        if (p.ParameterType == typeof(CancellationToken))
        {
            return context.RequestAborted;
        }
        if (p.ParameterType != typeof(string))
        {
            throw new InvalidOperationException($"Parameter {p.Name} of {p.Member.DeclaringType?.Name}.{p.Member.Name}: the self-host binds HttpRequest, DurableTaskClient, CancellationToken and string route values only.");
        }
        return context.Request.RouteValues.TryGetValue(p.Name!, out var value) ? value?.ToString() : context.Request.Query[p.Name!].FirstOrDefault();
    }

    private static Task WriteAsync(HttpContext context, object? result) => result switch
    {
        IResult r => r.ExecuteAsync(context),
        IActionResult a => a.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor())),
        null => Results.NoContent().ExecuteAsync(context),
        _ => Results.Json(result).ExecuteAsync(context),
    };

    /// <summary>Awaits a returned Task or Task&lt;T&gt; and gives its result (null for Task and void).</summary>
    private static async Task<object?> UnwrapAsync(object? returned)
    {
        if (returned is not Task task)
        {
            return returned;
        }
        await task;
        var type = task.GetType();
        return type.IsGenericType && type.GetGenericArguments()[0].Name != "VoidTaskResult" ? type.GetProperty("Result")!.GetValue(task) : null;
    }

    [LoggerMessage(2001, LogLevel.Information, "Function {Name} (HTTP) returned {StatusCode} in {ElapsedMs} ms")]
    private static partial void HttpFunctionRan(ILogger logger, string name, int statusCode, long elapsedMs);
}

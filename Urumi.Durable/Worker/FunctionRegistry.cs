using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Durable.Client;
using Urumi.Durable.Serialization;

namespace Urumi.Durable.Worker;

/// <summary>Runs an activity: serialized input in, serialized output out.</summary>
internal delegate Task<string?> ActivityInvoker(string? input, FunctionContext context, CancellationToken ct);

/// <summary>An HTTP-triggered function as discovered: where it listens and who may call it.</summary>
public sealed record HttpFunction(string Name, string[] Methods, string Route, AuthorizationLevel AuthLevel, MethodInfo Method);

/// <summary>
/// The app's functions, discovered from [Function] methods at start-up the way the isolated worker indexes them.
/// Every declaration problem is collected and reported together, each naming its method.
/// </summary>
public sealed class FunctionRegistry
{
    private static readonly JsonDataConverter Json = JsonDataConverter.Default;
    private readonly Dictionary<string, OrchestratorInvoker> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ActivityInvoker> _activities = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<HttpFunction> _http = [];
    private readonly IServiceProvider _services;

    private FunctionRegistry(IServiceProvider services) => _services = services;

    public IReadOnlyCollection<string> OrchestratorNames => _orchestrators.Keys;

    public IReadOnlyCollection<string> ActivityNames => _activities.Keys;

    public IReadOnlyList<HttpFunction> HttpFunctions => _http;

    internal OrchestratorInvoker? GetOrchestrator(string name) => _orchestrators.GetValueOrDefault(name);

    internal ActivityInvoker? GetActivity(string name) => _activities.GetValueOrDefault(name);

    /// <summary>Indexes every [Function] method of <paramref name="types"/>; throws <see cref="FunctionIndexingException"/> on any problem.</summary>
    public static FunctionRegistry Build(IEnumerable<Type> types, IServiceProvider services)
    {
        var registry = new FunctionRegistry(services);
        var problems = new List<string>();
        var names = new Dictionary<string, MethodInfo>(StringComparer.OrdinalIgnoreCase);
        var orchestratorMethods = new List<(string Name, MethodInfo Method)>();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var method in types.SelectMany(t => t.GetMethods(flags)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }
            var where = $"{method.DeclaringType?.FullName}.{method.Name}";
            if (string.IsNullOrWhiteSpace(function.Name))
            {
                problems.Add($"{where}: [Function] needs a name.");
                continue;
            }
            if (names.TryGetValue(function.Name, out var other))
            {
                problems.Add($"{where}: the function name '{function.Name}' is already used by {other.DeclaringType?.FullName}.{other.Name}.");
                continue;
            }
            names[function.Name] = method;
            var triggers = method.GetParameters()
                .Where(p => p.IsDefined(typeof(OrchestrationTriggerAttribute)) || p.IsDefined(typeof(ActivityTriggerAttribute)) || p.IsDefined(typeof(HttpTriggerAttribute)))
                .ToList();
            if (triggers.Count != 1)
            {
                problems.Add($"{where}: function '{function.Name}' must have exactly one trigger parameter ([OrchestrationTrigger], [ActivityTrigger] or [HttpTrigger]); it has {triggers.Count}.");
                continue;
            }
            var trigger = triggers[0];
            var unbound = method.GetParameters().Where(p => p != trigger && !CanBind(p, trigger)).ToList();
            if (unbound.Count > 0)
            {
                problems.Add($"{where}: function '{function.Name}' has parameters that cannot be bound: {string.Join(", ", unbound.Select(p => $"{p.ParameterType.Name} {p.Name}"))}.");
                continue;
            }
            if (trigger.IsDefined(typeof(OrchestrationTriggerAttribute)))
            {
                if (trigger.ParameterType != typeof(TaskOrchestrationContext))
                {
                    problems.Add($"{where}: the [OrchestrationTrigger] parameter of '{function.Name}' must be a TaskOrchestrationContext, not {trigger.ParameterType.Name}.");
                    continue;
                }
                registry._orchestrators[function.Name] = registry.OrchestratorFor(function.Name, method);
                orchestratorMethods.Add((function.Name, method));
            }
            else if (trigger.IsDefined(typeof(ActivityTriggerAttribute)))
            {
                registry._activities[function.Name] = registry.ActivityFor(function.Name, method, trigger);
            }
            else
            {
                var http = trigger.GetCustomAttribute<HttpTriggerAttribute>()!;
                if (trigger.ParameterType != typeof(HttpRequest))
                {
                    problems.Add($"{where}: the [HttpTrigger] parameter of '{function.Name}' must be an HttpRequest, not {trigger.ParameterType.Name}.");
                    continue;
                }
                var methods = http.Methods.Length == 0 ? ["GET", "POST"] : http.Methods.Select(m => m.ToUpperInvariant()).ToArray();
                registry._http.Add(new HttpFunction(function.Name, methods, http.Route ?? function.Name, http.AuthLevel, method));
            }
        }

        foreach (var (name, method) in orchestratorMethods)
        {
            foreach (var call in OrchestratorCallScanner.Scan(method))
            {
                var known = call.Method == "CallActivityAsync" ? registry._activities.ContainsKey(call.Name) : registry._orchestrators.ContainsKey(call.Name);
                if (!known)
                {
                    var kind = call.Method == "CallActivityAsync" ? "activity" : "orchestrator";
                    problems.Add($"{method.DeclaringType?.FullName}.{method.Name}: orchestrator '{name}' calls {kind} '{call.Name}', but no {kind} function has that name.");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new FunctionIndexingException(problems);
        }
        return registry;
    }

    private static bool CanBind(ParameterInfo p, ParameterInfo trigger) =>
        p.ParameterType == typeof(FunctionContext)
        || p.ParameterType == typeof(CancellationToken)
        || (p.ParameterType == typeof(DurableTaskClient) && p.IsDefined(typeof(DurableClientAttribute)))
        || (trigger.IsDefined(typeof(HttpTriggerAttribute)) && (p.ParameterType == typeof(string) || p.ParameterType == typeof(int) || p.ParameterType == typeof(Guid)));

    private OrchestratorInvoker OrchestratorFor(string name, MethodInfo method) => context =>
    {
        var result = InvokeAsync(method, name, context.InstanceId, CancellationToken.None, p =>
            p.ParameterType == typeof(TaskOrchestrationContext) ? context : null);
        return result;
    };

    private ActivityInvoker ActivityFor(string name, MethodInfo method, ParameterInfo trigger) => (input, context, ct) =>
        InvokeAsync(method, name, context.InstanceId, ct, p => p == trigger ? Json.Deserialize(input, trigger.ParameterType) : null, context);

    private async Task<string?> InvokeAsync(MethodInfo method, string name, string? instanceId, CancellationToken ct, Func<ParameterInfo, object?> bindTrigger, FunctionContext? context = null)
    {
        using var scope = method.IsStatic ? null : _services.CreateScope();
        var services = scope?.ServiceProvider ?? _services;
        context ??= new FunctionContext(name, services, instanceId);
        var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        var args = method.GetParameters().Select(p =>
            p.ParameterType == typeof(FunctionContext) ? context
            : p.ParameterType == typeof(CancellationToken) ? ct
            : p.ParameterType == typeof(DurableTaskClient) ? services.GetRequiredService<DurableTaskClient>()
            : bindTrigger(p)).ToArray();
        var returned = Invoke(method, target, args);
        return Json.Serialize(await UnwrapAsync(returned));
    }

    /// <summary>Calls a function method, rethrowing what it threw (not the reflection wrapper).</summary>
    internal static object? Invoke(MethodInfo method, object? target, object?[] args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Awaits a returned Task or Task&lt;T&gt; and gives its result (null for Task and void).</summary>
    internal static async Task<object?> UnwrapAsync(object? returned)
    {
        if (returned is not Task task)
        {
            return returned;
        }
        await task;
        var type = task.GetType();
        return type.IsGenericType && type.GetGenericArguments()[0].Name != "VoidTaskResult"
            ? type.GetProperty("Result")!.GetValue(task)
            : null;
    }
}

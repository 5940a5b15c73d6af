using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.DurableTask;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The orchestrators and activities of a function app, found by reflection as the isolated worker finds them: methods
/// with [Function] whose parameters include [OrchestrationTrigger] TaskOrchestrationContext or [ActivityTrigger] T.
/// Functions with other triggers (HTTP) are not durable functions and are left to their own host. Every method that
/// cannot be run as declared is reported at once, in one <see cref="FunctionIndexException"/>.
/// </summary>
public sealed class FunctionIndex
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    private FunctionIndex(IReadOnlyList<DurableFunction> functions) => Functions = functions;

    public IReadOnlyList<DurableFunction> Functions { get; }

    public IEnumerable<DurableFunction> Orchestrators => Functions.Where(f => f.Kind == DurableFunctionKind.Orchestrator);

    public IEnumerable<DurableFunction> Activities => Functions.Where(f => f.Kind == DurableFunctionKind.Activity);

    public static FunctionIndex FromAssemblies(params Assembly[] assemblies) =>
        FromTypes(assemblies.SelectMany(a => a.GetTypes()));

    public static FunctionIndex FromTypes(IEnumerable<Type> types)
    {
        var problems = new List<string>();
        var functions = new List<DurableFunction>();
        foreach (var method in types.Distinct().SelectMany(t => t.GetMethods(Declared)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is { } attribute
                && Describe(method, attribute.Name, problems) is { } function)
            {
                functions.Add(function);
            }
        }
        problems.AddRange(Duplicates(functions));
        return problems.Count > 0 ? throw new FunctionIndexException(problems) : new FunctionIndex(functions);
    }

    private static IEnumerable<string> Duplicates(IEnumerable<DurableFunction> functions) =>
        functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1)
            .Select(g => $"the function name '{g.Key}' is declared more than once: {string.Join(", ", g.Select(f => f.MethodName))}");

    private static DurableFunction? Describe(MethodInfo method, string name, List<string> problems)
    {
        var parameters = method.GetParameters();
        var where = $"{method.DeclaringType?.FullName}.{method.Name} ([Function(\"{name}\")])";
        if (parameters.Any(p => p.IsDefined(typeof(EntityTriggerAttribute))))
        {
            problems.Add($"{where} is a durable entity: the self-host does not run entities");
            return null;
        }
        var triggers = parameters.Where(IsDurableTrigger).ToList();
        if (triggers.Count == 0)
        {
            return null;
        }
        var before = problems.Count;
        if (triggers.Count > 1)
        {
            problems.Add($"{where} has more than one durable trigger parameter; a function has one trigger");
            return null;
        }
        problems.AddRange(MethodProblems(method).Select(p => $"{where} {p}"));
        var kind = triggers[0].IsDefined(typeof(OrchestrationTriggerAttribute)) ? DurableFunctionKind.Orchestrator : DurableFunctionKind.Activity;
        var arguments = new List<FunctionArgument>();
        Type? input = null;
        foreach (var parameter in parameters)
        {
            var argument = kind == DurableFunctionKind.Orchestrator ? OrchestratorArgument(parameter, input) : ActivityArgument(parameter);
            if (argument.Problem is not null)
            {
                problems.Add($"{where}: parameter '{parameter.Name}' ({parameter.ParameterType.Name}) {argument.Problem}");
                continue;
            }
            arguments.Add(argument.Source!.Value);
            if (argument.Source == FunctionArgument.Input)
            {
                input = parameter.ParameterType;
            }
        }
        return problems.Count > before
            ? null
            : new DurableFunction(name, kind, method, arguments, input ?? typeof(object), OutputType(method.ReturnType));
    }

    private static bool IsDurableTrigger(ParameterInfo parameter) =>
        parameter.IsDefined(typeof(OrchestrationTriggerAttribute)) || parameter.IsDefined(typeof(ActivityTriggerAttribute));

    private static IEnumerable<string> MethodProblems(MethodInfo method)
    {
        if (!method.IsPublic || method.DeclaringType is not { IsPublic: true } and not { IsNestedPublic: true })
        {
            yield return "is not public: the Functions host runs only public methods of public classes";
        }
        if (method.IsGenericMethodDefinition || method.DeclaringType?.ContainsGenericParameters == true)
        {
            yield return "is generic: a function is a concrete method";
        }
        if (!method.IsStatic && method.DeclaringType is { IsAbstract: true })
        {
            yield return "is an instance method of an abstract class: its class cannot be created";
        }
        if (method.ReturnType == typeof(void) && method.IsDefined(typeof(AsyncStateMachineAttribute)))
        {
            yield return "is async void: return Task so that its end and its failure can be observed";
        }
    }

    private static (FunctionArgument? Source, string? Problem) OrchestratorArgument(ParameterInfo parameter, Type? input)
    {
        if (parameter.IsDefined(typeof(OrchestrationTriggerAttribute)))
        {
            return parameter.ParameterType == typeof(TaskOrchestrationContext)
                ? (FunctionArgument.OrchestrationContext, null)
                : (null, "has [OrchestrationTrigger] but is not a TaskOrchestrationContext, the isolated worker's only orchestration trigger type");
        }
        return Common(parameter) ?? (IsBinding(parameter), input) switch
        {
            (true, _) => (null, "is a binding: an orchestrator takes no bindings besides its trigger (do I/O in activities)"),
            (false, null) => (FunctionArgument.Input, null),
            _ => (null, "is a second input: an orchestrator takes at most one input parameter besides its context"),
        };
    }

    private static (FunctionArgument? Source, string? Problem) ActivityArgument(ParameterInfo parameter)
    {
        if (parameter.IsDefined(typeof(ActivityTriggerAttribute)))
        {
            return (FunctionArgument.Input, null);
        }
        return Common(parameter)
            ?? (null, "is not supported: an activity takes its [ActivityTrigger] input, FunctionContext and CancellationToken; "
                + "services come through its class's constructor");
    }

    private static (FunctionArgument? Source, string? Problem)? Common(ParameterInfo parameter)
    {
        if (parameter.ParameterType.IsByRef)
        {
            return (null, "is passed by reference: functions take their arguments by value");
        }
        if (parameter.ParameterType == typeof(FunctionContext))
        {
            return (FunctionArgument.FunctionContext, null);
        }
        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return (FunctionArgument.CancellationToken, null);
        }
        return null;
    }

    private static bool IsBinding(ParameterInfo parameter) =>
        parameter.GetCustomAttributes().Any(a => a is BindingAttribute);

    private static Type OutputType(Type returnType)
    {
        if (returnType == typeof(void) || returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            return typeof(object);
        }
        if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            return returnType.GetGenericArguments()[0];
        }
        return returnType;
    }
}

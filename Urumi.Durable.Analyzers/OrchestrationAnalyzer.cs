using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Urumi.Durable.Analyzers;

/// <summary>
/// Enforces the orchestrator rules at build time. Orchestrator code is any method (or lambda inside one) with a
/// TaskOrchestrationContext parameter. URU001: a non-deterministic API (clock, new GUIDs, random numbers, delays,
/// threads, I/O). URU002: a constant activity or sub-orchestrator name that no [Function] in the project declares.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OrchestrationAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor NonDeterministicApi = new(
        "URU001",
        "Non-deterministic API in orchestrator code",
        "'{0}' must not be used in orchestrator code: {1}",
        "Urumi.Durable",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Orchestrator code is replayed and must make the same decisions every time. Use the TaskOrchestrationContext stand-ins, or move the work into an activity.");

    public static readonly DiagnosticDescriptor UnknownFunctionName = new(
        "URU002",
        "Unknown activity or orchestrator name",
        "Orchestrator calls {0} '{1}', but no [Function] with that name and an {2} trigger exists in this project",
        "Urumi.Durable",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        customTags: WellKnownDiagnosticTags.CompilationEnd);

    private static readonly Dictionary<string, string> BannedMembers = new()
    {
        ["System.DateTime.Now"] = "use context.CurrentUtcDateTime",
        ["System.DateTime.UtcNow"] = "use context.CurrentUtcDateTime",
        ["System.DateTime.Today"] = "use context.CurrentUtcDateTime",
        ["System.DateTimeOffset.Now"] = "use context.CurrentUtcDateTime",
        ["System.DateTimeOffset.UtcNow"] = "use context.CurrentUtcDateTime",
        ["System.Guid.NewGuid"] = "use context.NewGuid()",
        ["System.Threading.Tasks.Task.Delay"] = "use context.CreateTimer",
        ["System.Threading.Tasks.Task.Run"] = "orchestrator code runs on one thread; call an activity",
        ["System.Threading.Tasks.Task.Factory"] = "orchestrator code runs on one thread; call an activity",
        ["System.Threading.Thread.Sleep"] = "use context.CreateTimer",
        ["System.Random.Shared"] = "random numbers differ on replay; get them from an activity",
        ["System.Environment.TickCount"] = "use context.CurrentUtcDateTime",
        ["System.Environment.TickCount64"] = "use context.CurrentUtcDateTime",
        ["System.Diagnostics.Stopwatch.StartNew"] = "use context.CurrentUtcDateTime",
        ["System.Diagnostics.Stopwatch.GetTimestamp"] = "use context.CurrentUtcDateTime",
        ["System.TimeProvider.System"] = "use context.CurrentUtcDateTime",
    };

    private static readonly Dictionary<string, string> BannedTypes = new()
    {
        ["System.Random"] = "random numbers differ on replay; get them from an activity",
        ["System.Threading.Thread"] = "orchestrator code runs on one thread; call an activity",
        ["System.Threading.Timer"] = "use context.CreateTimer",
        ["System.Diagnostics.Stopwatch"] = "use context.CurrentUtcDateTime",
        ["System.Net.Http.HttpClient"] = "I/O belongs in an activity",
        ["System.Console"] = "I/O belongs in an activity; use context.CreateReplaySafeLogger",
        ["System.Diagnostics.Process"] = "I/O belongs in an activity",
    };

    private static readonly string[] BannedNamespaces = ["System.IO", "System.Net.Sockets"];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [NonDeterministicApi, UnknownFunctionName];

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var contextType = start.Compilation.GetTypeByMetadataName("Urumi.Durable.TaskOrchestrationContext");
            if (contextType is null)
            {
                return;
            }
            var activities = new ConcurrentDictionary<string, byte>(System.StringComparer.OrdinalIgnoreCase);
            var orchestrators = new ConcurrentDictionary<string, byte>(System.StringComparer.OrdinalIgnoreCase);
            var calls = new ConcurrentBag<(string Kind, string Name, Location Location)>();

            start.RegisterSymbolAction(symbol => CollectFunction((IMethodSymbol)symbol.Symbol, activities, orchestrators), SymbolKind.Method);
            start.RegisterOperationAction(op =>
            {
                if (!InOrchestrator(op.ContainingSymbol, contextType))
                {
                    return;
                }
                switch (op.Operation)
                {
                    case IInvocationOperation invocation:
                        Check(op, invocation.TargetMethod, invocation.Syntax.GetLocation(), invocation.Instance);
                        CollectCall(invocation, contextType, calls);
                        break;
                    case IPropertyReferenceOperation property:
                        Check(op, property.Property, property.Syntax.GetLocation(), property.Instance);
                        break;
                    case IObjectCreationOperation creation when creation.Type is not null:
                        CheckType(op, creation.Type, creation.Syntax.GetLocation());
                        break;
                }
            }, OperationKind.Invocation, OperationKind.PropertyReference, OperationKind.ObjectCreation);

            start.RegisterCompilationEndAction(end =>
            {
                if (activities.IsEmpty && orchestrators.IsEmpty)
                {
                    return;
                }
                foreach (var (kind, name, location) in calls)
                {
                    var known = kind == "activity" ? activities : orchestrators;
                    if (!known.ContainsKey(name))
                    {
                        end.ReportDiagnostic(Diagnostic.Create(UnknownFunctionName, location, kind, name, kind == "activity" ? "[ActivityTrigger]" : "[OrchestrationTrigger]"));
                    }
                }
            });
        });
    }

    private static void Check(OperationAnalysisContext op, ISymbol member, Location location, IOperation? receiver)
    {
        var key = $"{member.ContainingType?.ToDisplayString()}.{member.Name}";
        if (BannedMembers.TryGetValue(key, out var why))
        {
            op.ReportDiagnostic(Diagnostic.Create(NonDeterministicApi, location, key, why));
            return;
        }
        // A receiver that is itself a creation, call or property was checked where it was produced.
        var producedHere = receiver is IObjectCreationOperation or IInvocationOperation or IPropertyReferenceOperation;
        if (member.ContainingType is { } type && !producedHere)
        {
            CheckType(op, type, location);
        }
    }

    private static void CheckType(OperationAnalysisContext op, ITypeSymbol type, Location location)
    {
        var name = type.OriginalDefinition.ToDisplayString();
        if (BannedTypes.TryGetValue(name, out var why))
        {
            op.ReportDiagnostic(Diagnostic.Create(NonDeterministicApi, location, name, why));
            return;
        }
        var ns = type.ContainingNamespace?.ToDisplayString() ?? "";
        if (BannedNamespaces.Any(b => ns == b || ns.StartsWith(b + ".", System.StringComparison.Ordinal)))
        {
            op.ReportDiagnostic(Diagnostic.Create(NonDeterministicApi, location, name, "I/O belongs in an activity"));
        }
    }

    private static bool InOrchestrator(ISymbol? symbol, INamedTypeSymbol contextType)
    {
        for (var s = symbol; s is not null; s = s.ContainingSymbol)
        {
            if (s is IMethodSymbol method && method.Parameters.Any(p => SymbolEqualityComparer.Default.Equals(p.Type, contextType)))
            {
                return true;
            }
            if (s is INamedTypeSymbol)
            {
                return false;
            }
        }
        return false;
    }

    private static void CollectFunction(IMethodSymbol method, ConcurrentDictionary<string, byte> activities, ConcurrentDictionary<string, byte> orchestrators)
    {
        var function = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "Urumi.Durable.FunctionAttribute");
        if (function?.ConstructorArguments.FirstOrDefault().Value is not string name)
        {
            return;
        }
        foreach (var parameter in method.Parameters)
        {
            foreach (var attribute in parameter.GetAttributes())
            {
                switch (attribute.AttributeClass?.ToDisplayString())
                {
                    case "Urumi.Durable.ActivityTriggerAttribute":
                        activities[name] = 0;
                        break;
                    case "Urumi.Durable.OrchestrationTriggerAttribute":
                        orchestrators[name] = 0;
                        break;
                }
            }
        }
    }

    private static void CollectCall(IInvocationOperation invocation, INamedTypeSymbol contextType, ConcurrentBag<(string, string, Location)> calls)
    {
        var method = invocation.TargetMethod;
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingType, contextType)
            || method.Name is not ("CallActivityAsync" or "CallSubOrchestratorAsync")
            || invocation.Arguments.Length == 0)
        {
            return;
        }
        var nameArgument = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
        if (nameArgument?.Value.ConstantValue is { HasValue: true, Value: string name })
        {
            calls.Add((method.Name == "CallActivityAsync" ? "activity" : "orchestrator", name, nameArgument.Syntax.GetLocation()));
        }
    }
}

using System.Collections.Immutable;
using System.Reflection;
using System.Xml.Linq;
using Microsoft.Azure.Functions.Worker;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.DurableTask;
using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>
/// The determinism rules of orchestrator code are enforced by Microsoft.DurableTask.Analyzers (warnings, errors in our
/// build through TreatWarningsAsErrors). These tests run the package's analyzers on orchestrators written as ours are.
/// </summary>
public sealed class OrchestrationAnalyzerTests
{
    [Theory]
    [InlineData("var t = DateTime.Now;", "DateTime.Now")]
    [InlineData("var t = DateTime.UtcNow;", "DateTime.UtcNow")]
    [InlineData("var g = Guid.NewGuid();", "Guid.NewGuid")]
    [InlineData("await Task.Delay(10);", "Task.Delay")]
    [InlineData("System.Threading.Thread.Sleep(10);", "Thread.Sleep")]
    public async Task Non_deterministic_APIs_in_orchestrator_code_are_reported(string statement, string api)
    {
        var diagnostics = await AnalyzeAsync(Orchestrator(statement));

        Assert.Contains(diagnostics, d => d.Id.StartsWith("DURABLE", StringComparison.Ordinal) && d.GetMessage().Contains(api, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_APIs_are_allowed_in_activities()
    {
        var diagnostics = await AnalyzeAsync(Orchestrator("") + """
            public static class Activities
            {
                [Function("Later")]
                public static async Task<string> Later([ActivityTrigger] string input)
                {
                    await Task.Delay(1);
                    return DateTime.UtcNow.ToString() + Guid.NewGuid();
                }
            }
            """);

        Assert.DoesNotContain(diagnostics, d => d.Id.StartsWith("DURABLE", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Urumi.Functions/Urumi.Functions.csproj")]
    [InlineData("samples/Urumi.Samples/Urumi.Samples.csproj")]
    public void Every_function_app_builds_with_the_analyzers(string project)
    {
        var references = XDocument.Load(Path.Combine(Repo.Root, project)).Descendants("PackageReference").Select(r => (string?)r.Attribute("Include"));

        Assert.Contains("Microsoft.DurableTask.Analyzers", references);
    }

    private static string Orchestrator(string statement) => $$"""
        using System;
        using System.Threading.Tasks;
        using Microsoft.Azure.Functions.Worker;
        using Microsoft.DurableTask;

        public static class Orchestrations
        {
            [Function("Run")]
            public static async Task Run([OrchestrationTrigger] TaskOrchestrationContext context)
            {
                {{statement}}
                await context.CallActivityAsync<string>("Work", "x");
            }

            [Function("Work")]
            public static string Work([ActivityTrigger] string input) => input;
        }

        """;

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat([typeof(TaskOrchestrationContext).Assembly.Location, typeof(FunctionAttribute).Assembly.Location, typeof(OrchestrationTriggerAttribute).Assembly.Location])
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Test", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return await compilation.WithAnalyzers(DurableTaskAnalyzers()).GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>The analyzers of the Microsoft.DurableTask.Analyzers package this repository references.</summary>
    private static ImmutableArray<DiagnosticAnalyzer> DurableTaskAnalyzers()
    {
        var package = typeof(OrchestrationAnalyzerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DurableTaskAnalyzers").Value!;
        var assembly = Assembly.LoadFrom(Path.Combine(package, "analyzers", "dotnet", "cs", "Microsoft.DurableTask.Analyzers.dll"));
        // Its code fixes need Roslyn's Workspaces, which a test need not load: the analyzers load without them.
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = [.. e.Types.OfType<Type>()];
        }
        return [.. types
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)];
    }
}

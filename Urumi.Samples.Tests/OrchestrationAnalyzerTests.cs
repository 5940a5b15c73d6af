using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Urumi.Durable.Analyzers;

namespace Urumi.Durable.Tests.Analyzers;

public sealed class OrchestrationAnalyzerTests
{
    [Theory]
    [InlineData("var t = DateTime.UtcNow;", "System.DateTime.UtcNow")]
    [InlineData("var t = DateTime.Now;", "System.DateTime.Now")]
    [InlineData("var t = DateTimeOffset.UtcNow;", "System.DateTimeOffset.UtcNow")]
    [InlineData("var g = Guid.NewGuid();", "System.Guid.NewGuid")]
    [InlineData("await Task.Delay(10);", "System.Threading.Tasks.Task.Delay")]
    [InlineData("System.Threading.Thread.Sleep(10);", "System.Threading.Thread.Sleep")]
    [InlineData("var r = new Random().Next();", "System.Random")]
    [InlineData("var r = Random.Shared.Next();", "System.Random.Shared")]
    [InlineData("var s = System.IO.File.ReadAllText(\"x\");", "System.IO.File")]
    [InlineData("using var h = new System.Net.Http.HttpClient();", "System.Net.Http.HttpClient")]
    [InlineData("await Task.Run(() => 1);", "System.Threading.Tasks.Task.Run")]
    [InlineData("Console.WriteLine(\"x\");", "System.Console")]
    public async Task Non_deterministic_APIs_in_orchestrator_code_are_build_errors(string statement, string api)
    {
        var diagnostics = await AnalyzeAsync(Orchestrator(statement));

        var d = Assert.Single(diagnostics, x => x.Id == "URU001");
        Assert.Contains(api, d.GetMessage());
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public async Task The_same_APIs_are_allowed_in_activities()
    {
        var diagnostics = await AnalyzeAsync(Orchestrator("") + """
            public static class Activities
            {
                [Function("Work")]
                public static async Task<string> Work([ActivityTrigger] string input)
                {
                    await Task.Delay(1);
                    return DateTime.UtcNow.ToString() + Guid.NewGuid();
                }
            }
            """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task Lambdas_inside_orchestrators_are_checked_too()
    {
        var diagnostics = await AnalyzeAsync(Orchestrator("Func<DateTime> now = () => DateTime.UtcNow; now();"));

        Assert.Single(diagnostics, x => x.Id == "URU001");
    }

    [Fact]
    public async Task An_activity_name_no_function_declares_is_a_build_error()
    {
        var diagnostics = await AnalyzeAsync(Orchestrator("await context.CallActivityAsync<string>(\"Wrok\", null);"));

        var d = Assert.Single(diagnostics, x => x.Id == "URU002");
        Assert.Contains("'Wrok'", d.GetMessage());
    }

    [Fact]
    public async Task Known_names_given_by_nameof_or_literal_pass()
    {
        var diagnostics = await AnalyzeAsync(Orchestrator("await context.CallActivityAsync<string>(\"Work\", null); await context.CallSubOrchestratorAsync(nameof(Orchestrations.Run));"));

        Assert.DoesNotContain(diagnostics, x => x.Id == "URU002");
    }

    private static string Orchestrator(string statement) => $$"""
        using System;
        using System.Threading.Tasks;
        using Urumi.Durable;

        public static class Orchestrations
        {
            [Function("Run")]
            public static async Task Run([OrchestrationTrigger] TaskOrchestrationContext context)
            {
                {{statement}}
                await context.CallActivityAsync<string>("Work", null);
            }

            [Function("Work")]
            public static string Work([ActivityTrigger] string input) => input;
        }

        """;

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(TaskOrchestrationContext).Assembly.Location));
        var compilation = CSharpCompilation.Create("Test", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return await compilation.WithAnalyzers([new OrchestrationAnalyzer()]).GetAnalyzerDiagnosticsAsync();
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Tests.Hosting;

public sealed class FunctionIndexingTests
{
    [Fact]
    public void A_valid_app_indexes_orchestrators_activities_and_http_functions()
    {
        var registry = Build(typeof(Valid));

        Assert.Contains("Flow", registry.OrchestratorNames);
        Assert.Contains("Step", registry.ActivityNames);
        var http = Assert.Single(registry.HttpFunctions);
        Assert.Equal("things/{id}", http.Route);
        Assert.Equal(["GET"], http.Methods);
        Assert.Equal(AuthorizationLevel.Function, http.AuthLevel);
    }

    [Fact]
    public void A_duplicate_name_stops_start_up_naming_both_methods()
    {
        var e = Assert.Throws<FunctionIndexingException>(() => Build(typeof(Valid), typeof(Duplicate)));

        var problem = Assert.Single(e.Problems);
        Assert.Contains("Duplicate.Again", problem);
        Assert.Contains("Valid.Step", problem);
    }

    [Fact]
    public void A_wrong_signature_stops_start_up_naming_the_method()
    {
        var e = Assert.Throws<FunctionIndexingException>(() => Build(typeof(WrongSignatures)));

        Assert.Contains(e.Problems, p => p.Contains("WrongSignatures.NoTrigger") && p.Contains("exactly one trigger"));
        Assert.Contains(e.Problems, p => p.Contains("WrongSignatures.BadContext") && p.Contains("TaskOrchestrationContext"));
        Assert.Contains(e.Problems, p => p.Contains("WrongSignatures.Unbindable") && p.Contains("Stream body"));
        Assert.Contains(e.Problems, p => p.Contains("WrongSignatures.HttpNotRequest") && p.Contains("HttpRequest"));
    }

    [Fact]
    public void An_unknown_activity_name_in_orchestrator_code_stops_start_up_naming_the_method()
    {
        var e = Assert.Throws<FunctionIndexingException>(() => Build(typeof(Valid), typeof(CallsUnknown)));

        var problem = Assert.Single(e.Problems);
        Assert.Contains("CallsUnknown.Run", problem);
        Assert.Contains("activity 'Stpe'", problem);
        Assert.Contains("The function app cannot start", e.Message);
    }

    [Fact]
    public void Names_that_are_not_constants_are_not_guessed_at()
    {
        var registry = Build(typeof(Valid), typeof(DynamicNames));

        Assert.Contains("Dynamic", registry.OrchestratorNames);
    }

    private static FunctionRegistry Build(params Type[] types) => FunctionRegistry.Build(types, new ServiceCollection().BuildServiceProvider());

    public static class Valid
    {
        [Function("Flow")]
        public static async Task<string> Flow([OrchestrationTrigger] TaskOrchestrationContext context)
        {
            var input = context.GetInput<string>();
            var first = await context.CallActivityAsync<string>("Step", input ?? "x");
            return await context.CallActivityAsync<string>(nameof(Step), first);
        }

        [Function("Step")]
        public static string Step([ActivityTrigger] string input, FunctionContext context) => input;

        [Function("GetThing")]
        public static IResult GetThing([HttpTrigger(AuthorizationLevel.Function, "get", Route = "things/{id}")] HttpRequest request, string id) => Results.Ok(id);
    }

    public static class Duplicate
    {
        [Function("step")]
        public static string Again([ActivityTrigger] string input) => input;
    }

    public static class WrongSignatures
    {
        [Function("NoTrigger")]
        public static string NoTrigger(string input) => input;

        [Function("BadContext")]
        public static Task BadContext([OrchestrationTrigger] object context) => Task.CompletedTask;

        [Function("Unbindable")]
        public static string Unbindable([ActivityTrigger] string input, Stream body) => input;

        [Function("HttpNotRequest")]
        public static string HttpNotRequest([HttpTrigger(AuthorizationLevel.Anonymous, "get")] string request) => request;
    }

    public static class CallsUnknown
    {
        [Function("Run")]
        public static async Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context)
        {
            var a = await context.CallActivityAsync<string>("Step", "known");
            return await context.CallActivityAsync<string>("Stpe", a);
        }
    }

    public static class DynamicNames
    {
        [Function("Dynamic")]
        public static Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
            context.CallActivityAsync<string>(context.GetInput<string>()!, "literal input");
    }
}

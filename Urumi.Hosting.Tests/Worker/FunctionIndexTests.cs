using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Hosting.Worker;

namespace Urumi.Hosting.Tests.Worker;

public sealed class FunctionIndexTests
{
    [Fact]
    public void Orchestrators_and_activities_are_found_with_their_arguments_input_and_output()
    {
        var index = FunctionIndex.FromTypes([typeof(TestOrchestrations), typeof(TestActivities)]);

        var sequence = index.Functions.Single(f => f.Name == nameof(TestOrchestrations.Sequence));
        var withInput = index.Functions.Single(f => f.Name == nameof(TestOrchestrations.SequenceWithInputParameter));
        var seeScope = index.Functions.Single(f => f.Name == nameof(TestActivities.SeeScope));
        var square = index.Functions.Single(f => f.Name == nameof(TestActivities.Square));

        Assert.Equal(DurableFunctionKind.Orchestrator, sequence.Kind);
        Assert.Equal([FunctionArgument.OrchestrationContext], sequence.Arguments);
        Assert.Equal((typeof(object), typeof(List<string>)), (sequence.InputType, sequence.OutputType));
        Assert.Equal([FunctionArgument.OrchestrationContext, FunctionArgument.Input], withInput.Arguments);
        Assert.Equal(typeof(GreetInput), withInput.InputType);
        Assert.Equal(DurableFunctionKind.Activity, seeScope.Kind);
        Assert.Equal([FunctionArgument.Input, FunctionArgument.FunctionContext, FunctionArgument.CancellationToken], seeScope.Arguments);
        Assert.Equal((typeof(int), typeof(long)), (square.InputType, square.OutputType));
        Assert.Equal(FunctionCount(typeof(TestOrchestrations)), index.Orchestrators.Count());
        Assert.Equal(FunctionCount(typeof(TestActivities)), index.Activities.Count());
    }

    [Fact]
    public void Functions_with_other_triggers_are_left_out()
    {
        var index = FunctionIndex.FromTypes([typeof(HttpOnly)]);

        Assert.Empty(index.Functions);
    }

    [Fact]
    public void Every_unsupported_signature_is_reported_at_once_naming_its_method_and_parameter()
    {
        var error = Assert.Throws<FunctionIndexException>(() => FunctionIndex.FromTypes([typeof(Unsupported)]));

        Assert.Equal(
            [
                At(nameof(Unsupported.ActivityWithService)) + ": parameter 'client' (DurableTaskClient) is not supported: an activity takes its "
                    + "[ActivityTrigger] input, FunctionContext and CancellationToken; services come through its class's constructor",
                At(nameof(Unsupported.AsyncVoid)) + " is async void: return Task so that its end and its failure can be observed",
                At(nameof(Unsupported.Counter)) + " is a durable entity: the self-host does not run entities",
                At(nameof(Unsupported.HiddenActivity)) + " is not public: the Functions host runs only public methods of public classes",
                At(nameof(Unsupported.OrchestratorWithClient)) + ": parameter 'client' (DurableTaskClient) is a binding: an orchestrator takes "
                    + "no bindings besides its trigger (do I/O in activities)",
                At(nameof(Unsupported.StringTrigger)) + ": parameter 'context' (String) has [OrchestrationTrigger] but is not a "
                    + "TaskOrchestrationContext, the isolated worker's only orchestration trigger type",
                At(nameof(Unsupported.TwoInputs)) + ": parameter 'second' (Int32) is a second input: an orchestrator takes at most one input "
                    + "parameter besides its context",
            ],
            error.Problems.Order(StringComparer.Ordinal));
        Assert.Contains("TwoInputs", error.Message);
    }

    [Fact]
    public void A_name_declared_twice_is_reported_with_both_methods()
    {
        var error = Assert.Throws<FunctionIndexException>(() => FunctionIndex.FromTypes([typeof(TestActivities), typeof(Duplicate)]));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(
            $"the function name 'Square' is declared more than once: {typeof(TestActivities).FullName}.Square, {typeof(Duplicate).FullName}.SquareAgain",
            problem);
    }

    private static int FunctionCount(Type type) => type.GetMethods().Count(m => m.IsDefined(typeof(FunctionAttribute), false));

    private static string At(string method) => $"{typeof(Unsupported).FullName}.{method} ([Function(\"{method}\")])";

    public static class HttpOnly
    {
        [Function("Ping")]
        public static string Ping([HttpTrigger(AuthorizationLevel.Anonymous, "get")] object request) => "pong";
    }

    // The SDK's analyzers flag these signatures at build time too; the index must also refuse them at start.
#pragma warning disable DURABLE1001, DURABLE0008
    public sealed class Unsupported
    {
        [Function(nameof(ActivityWithService))]
        public static string ActivityWithService([ActivityTrigger] string input, DurableTaskClient client) => input;

        [Function(nameof(AsyncVoid))]
        public static async void AsyncVoid([ActivityTrigger] string input) => await Task.Yield();

        [Function(nameof(Counter))]
        public static Task Counter([EntityTrigger] TaskEntityDispatcher dispatcher) => Task.CompletedTask;

        [Function(nameof(HiddenActivity))]
        internal static string HiddenActivity([ActivityTrigger] string input) => input;

        [Function(nameof(StringTrigger))]
        public static string StringTrigger([OrchestrationTrigger] string context) => context;

        [Function(nameof(OrchestratorWithClient))]
        public static string OrchestratorWithClient([OrchestrationTrigger] TaskOrchestrationContext context, [DurableClient] DurableTaskClient client) => "";

        [Function(nameof(TwoInputs))]
        public static int TwoInputs([OrchestrationTrigger] TaskOrchestrationContext context, int first, int second) => first + second;
    }

#pragma warning restore DURABLE1001, DURABLE0008

    public static class Duplicate
    {
        // Names are case-insensitive, as DurableTask's TaskName is.
        [Function("square")]
        public static long SquareAgain([ActivityTrigger] int x) => (long)x * x;
    }
}

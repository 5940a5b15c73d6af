using DurableTask.Core;
using DataConverter = Microsoft.DurableTask.DataConverter;
using Microsoft.DurableTask.Converters;

namespace Urumi.Hosting.Tests.Client;

public sealed record Order(string Id, int Quantity);

public sealed record Decision(bool Approved, string By);

public sealed record Outcome(string OrderId, bool Approved, string By);

/// <summary>
/// Plain DurableTask.Core orchestrations and activities for the client tests. Their inputs, outputs, events and
/// custom status go through the SDK's JSON data converter, as the worker's shims do, so the client's converter reads
/// them back.
/// </summary>
public static class TestOrchestrations
{
    public const string Greeting = nameof(Greeting);
    public const string Approval = nameof(Approval);
    public const string Failing = nameof(Failing);
    public const string Parent = nameof(Parent);
    public const string SayHello = nameof(SayHello);

    public static readonly DataConverter Json = JsonDataConverter.Default;

    public static void Register(TaskHubWorker worker)
    {
        worker.AddTaskOrchestrations(
            new Creator<TaskOrchestration>(Greeting, () => new GreetingOrchestration()),
            new Creator<TaskOrchestration>(Approval, () => new ApprovalOrchestration()),
            new Creator<TaskOrchestration>(Failing, () => new FailingOrchestration()),
            new Creator<TaskOrchestration>(Parent, () => new ParentOrchestration()));
        worker.AddTaskActivities(new Creator<TaskActivity>(SayHello, () => new SayHelloActivity()));
    }

    /// <summary>A fresh object per execution: orchestrations keep per-execution state (events, status).</summary>
    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            Name = name;
            Version = string.Empty;
            _create = create;
        }

        public override T Create() => _create();
    }

    /// <summary>The SDK's converter on both sides of a plain DurableTask.Core orchestration.</summary>
    private abstract class JsonOrchestration<TInput, TOutput> : TaskOrchestration
    {
        private readonly Dictionary<string, TaskCompletionSource<string?>> _events = [];

        protected object? CustomStatus { get; set; }

        public override async Task<string> Execute(OrchestrationContext context, string input) =>
            Json.Serialize(await RunAsync(context, Json.Deserialize<TInput>(input)!))!;

        public override string GetStatus() => Json.Serialize(CustomStatus)!;

        public override void RaiseEvent(OrchestrationContext context, string name, string input) =>
            Event(name).TrySetResult(input);

        protected abstract Task<TOutput> RunAsync(OrchestrationContext context, TInput input);

        protected async Task<T> WaitForEventAsync<T>(string name) => Json.Deserialize<T>(await Event(name).Task)!;

        private TaskCompletionSource<string?> Event(string name)
        {
            if (!_events.TryGetValue(name, out var source))
            {
                source = new TaskCompletionSource<string?>();
                _events[name] = source;
            }
            return source;
        }
    }

    private sealed class GreetingOrchestration : JsonOrchestration<string, string>
    {
        protected override async Task<string> RunAsync(OrchestrationContext context, string input)
        {
            var greeting = await context.ScheduleTask<string>(SayHello, string.Empty, input);
            CustomStatus = "greeted";
            return greeting;
        }
    }

    private sealed class ApprovalOrchestration : JsonOrchestration<Order, Outcome>
    {
        protected override async Task<Outcome> RunAsync(OrchestrationContext context, Order input)
        {
            CustomStatus = new { stage = "waiting", order = input.Id };
            var decision = await WaitForEventAsync<Decision>("Approval");
            CustomStatus = new { stage = "decided", order = input.Id };
            return new Outcome(input.Id, decision.Approved, decision.By);
        }
    }

    private sealed class FailingOrchestration : JsonOrchestration<Order, Outcome>
    {
        protected override Task<Outcome> RunAsync(OrchestrationContext context, Order input) =>
            throw new InvalidOperationException($"Order {input.Id} has an invalid quantity {input.Quantity}.");
    }

    /// <summary>Starts an Approval as a sub-orchestration with the instance id it is given, and waits for it.</summary>
    private sealed class ParentOrchestration : JsonOrchestration<string, string>
    {
        protected override async Task<string> RunAsync(OrchestrationContext context, string childId)
        {
            var outcome = await context.CreateSubOrchestrationInstance<Outcome>(
                Approval, string.Empty, childId, new Order(childId, 1));
            return $"{outcome.OrderId}:{outcome.Approved}";
        }
    }

    private sealed class SayHelloActivity : TaskActivity<string, string>
    {
        protected override string Execute(TaskContext context, string input) => $"Hello {input}!";
    }
}

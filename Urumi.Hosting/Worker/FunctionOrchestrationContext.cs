using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The SDK's orchestration context, with one difference the isolated worker also makes: GetInput&lt;T&gt; returns the
/// input as any T. The SDK deserializes the input once, to the orchestrator's declared input type; a [Function]
/// orchestrator usually declares none and asks for its input by type (context.GetInput&lt;StoreRequest&gt;()), so an
/// input of another type is converted through the worker's DataConverter. Everything else is the SDK's.
/// </summary>
internal sealed class FunctionOrchestrationContext(
    TaskOrchestrationContext inner, object? input, DataConverter converter, ILoggerFactory loggerFactory)
    : TaskOrchestrationContext
{
    public override TaskName Name => inner.Name;

    public override string InstanceId => inner.InstanceId;

    public override ParentOrchestrationInstance? Parent => inner.Parent;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override string Version => inner.Version;

    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;

    public override TaskOrchestrationEntityFeature Entities => inner.Entities;

    public override ILoggerFactory ReplaySafeLoggerFactory => inner.ReplaySafeLoggerFactory;

    protected override ILoggerFactory LoggerFactory => loggerFactory;

    public override T GetInput<T>() => input switch
    {
        null => default!,
        T typed => typed,
        _ => converter.Deserialize<T>(converter.Serialize(input))!,
    };

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        inner.CallActivityAsync<TResult>(name, input, options);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) =>
        inner.CreateTimer(fireAt, cancellationToken);

    public override Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) =>
        inner.CreateTimer(delay, cancellationToken);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        inner.WaitForExternalEvent<T>(eventName, cancellationToken);

    public override void SendEvent(string instanceId, string eventName, object payload) =>
        inner.SendEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(
        TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override void ContinueAsNew(ContinueAsNewOptions options) => inner.ContinueAsNew(options);

    public override Guid NewGuid() => inner.NewGuid();

    public override ILogger CreateReplaySafeLogger(string categoryName) => inner.CreateReplaySafeLogger(categoryName);

    public override int CompareVersionTo(string version) => inner.CompareVersionTo(version);
}

namespace Urumi.Hosting.Worker;

/// <summary>What the self-host passes to one parameter of a durable function, as the isolated worker binds it.</summary>
public enum FunctionArgument
{
    /// <summary>The orchestrator's [OrchestrationTrigger] TaskOrchestrationContext.</summary>
    OrchestrationContext,

    /// <summary>The input: the activity's [ActivityTrigger] parameter, or an orchestrator's first unbound parameter.</summary>
    Input,

    /// <summary>A FunctionContext for the invocation.</summary>
    FunctionContext,

    /// <summary>A token cancelled when the worker stops (activities; orchestrators get CancellationToken.None).</summary>
    CancellationToken,
}

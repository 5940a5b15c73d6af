namespace Urumi.Hosting.Worker;

/// <summary>What a durable function is, as its trigger attribute says.</summary>
public enum DurableFunctionKind
{
    /// <summary>A method with an [OrchestrationTrigger] TaskOrchestrationContext parameter.</summary>
    Orchestrator,

    /// <summary>A method with an [ActivityTrigger] parameter.</summary>
    Activity,
}

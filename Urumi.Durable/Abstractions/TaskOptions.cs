namespace Urumi.Durable;

/// <summary>Options for one activity or sub-orchestration call.</summary>
public record TaskOptions(RetryPolicy? Retry = null)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(policy);

    public static SubOrchestrationOptions WithInstanceId(string instanceId) => new(instanceId);
}

/// <summary>Options for a sub-orchestration call, with the child's instance id.</summary>
public sealed record SubOrchestrationOptions(string? InstanceId = null, RetryPolicy? Retry = null) : TaskOptions(Retry);

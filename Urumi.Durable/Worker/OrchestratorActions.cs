namespace Urumi.Durable.Worker;

/// <summary>A decision an orchestrator made during one step; the dispatcher records and carries it out.</summary>
internal abstract record OrchestratorAction(int Id)
{
    public abstract string Describe();
}

internal sealed record ScheduleTaskAction(int Id, string Name, string? Input, IReadOnlyDictionary<string, string>? Tags) : OrchestratorAction(Id)
{
    public override string Describe() => $"CallActivity '{Name}'";
}

internal sealed record CreateTimerAction(int Id, DateTime FireAt) : OrchestratorAction(Id)
{
    public override string Describe() => "CreateTimer";
}

internal sealed record CreateSubOrchestrationAction(int Id, string Name, string InstanceId, string? Input) : OrchestratorAction(Id)
{
    public override string Describe() => $"CallSubOrchestrator '{Name}'";
}

internal sealed record SendEventAction(int Id, string InstanceId, string EventName, string? Data) : OrchestratorAction(Id)
{
    public override string Describe() => $"SendEvent '{EventName}' to '{InstanceId}'";
}

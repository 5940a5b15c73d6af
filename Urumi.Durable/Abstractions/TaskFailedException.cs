namespace Urumi.Durable;

/// <summary>Thrown into an orchestration when an activity or sub-orchestration it awaited failed.</summary>
public sealed class TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
    : Exception($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails.ErrorMessage}")
{
    public string TaskName { get; } = taskName;

    public int TaskId { get; } = taskId;

    public TaskFailureDetails FailureDetails { get; } = failureDetails;
}

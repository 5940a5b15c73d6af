using Microsoft.Extensions.Logging;

namespace Urumi.Durable;

/// <summary>
/// What orchestrator code may use. Every member is deterministic under replay; orchestrator code must not use
/// the clock, random numbers, new GUIDs, delays, threads or I/O directly (the Urumi.Durable analyzer enforces it).
/// </summary>
public abstract class TaskOrchestrationContext
{
    public abstract string Name { get; }

    public abstract string InstanceId { get; }

    public abstract ParentOrchestrationInstance? Parent { get; }

    public abstract bool IsReplaying { get; }

    /// <summary>The time of the current orchestration step, the same on every replay.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    public abstract T? GetInput<T>();

    public Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    public abstract Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null);

    public Task CallSubOrchestratorAsync(string orchestratorName, object? input = null, TaskOptions? options = null) =>
        CallSubOrchestratorAsync<object?>(orchestratorName, input, options);

    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null);

    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    public Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) => CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>Waits for an event; when <paramref name="timeout"/> (a durable timer) wins, throws <see cref="TaskCanceledException"/>.</summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken = default);

    public abstract void SendEvent(string instanceId, string eventName, object? payload);

    /// <summary>Sets the custom status shown by status queries (at most 16 KB serialized).</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>Restarts the orchestration with new input and an empty history once the current code returns.</summary>
    public abstract void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true);

    /// <summary>A new GUID, the same on every replay (name-based UUID v5).</summary>
    public abstract Guid NewGuid();

    /// <summary>A logger that writes nothing while the orchestration replays.</summary>
    public abstract ILogger CreateReplaySafeLogger(string categoryName);

    public ILogger CreateReplaySafeLogger<T>() => CreateReplaySafeLogger(typeof(T).FullName ?? typeof(T).Name);
}

/// <summary>The orchestration that started a sub-orchestration.</summary>
public sealed record ParentOrchestrationInstance(string Name, string InstanceId);

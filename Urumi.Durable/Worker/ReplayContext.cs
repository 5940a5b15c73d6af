using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Urumi.Durable.History;
using Urumi.Durable.Serialization;

namespace Urumi.Durable.Worker;

/// <summary>The <see cref="TaskOrchestrationContext"/> the executor gives orchestrator code during one replay.</summary>
internal sealed class ReplayContext(
    OrchestrationInfo info,
    SynchronizationContext sync,
    ILoggerFactory loggerFactory,
    string? customStatus) : TaskOrchestrationContext
{
    private const int MaxCustomStatusBytes = 16 * 1024;
    private static readonly JsonDataConverter Json = JsonDataConverter.Default;
    private static readonly Guid GuidNamespace = new("9e952958-5e33-4daf-827f-2fa12937b875");

    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private readonly SortedDictionary<int, OrchestratorAction> _unconfirmed = [];
    private readonly Dictionary<int, OpenTask> _open = [];
    private readonly Dictionary<string, LinkedList<TaskCompletionSource<string?>>> _waiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Queue<string?>> _buffered = new(StringComparer.OrdinalIgnoreCase);
    private int _nextId;
    private int _guidCounter;

    public override string Name => info.Name;

    public override string InstanceId => info.InstanceId;

    public override ParentOrchestrationInstance? Parent =>
        info.Parent is { } p ? new ParentOrchestrationInstance(p.Name, p.InstanceId) : null;

    public override bool IsReplaying => IsReplayingNow;

    public override DateTime CurrentUtcDateTime => Now;

    internal bool IsReplayingNow { get; set; }

    internal DateTime Now { get; set; }

    internal string? Input { get; set; }

    internal bool Running { get; set; } = true;

    internal string? CustomStatus { get; private set; } = customStatus;

    internal (string? Input, bool Preserve)? ContinueAsNewInput { get; private set; }

    /// <summary>Set when the code disagrees with history; the instance then fails with this message.</summary>
    internal string? Fatal { get; private set; }

    public override T? GetInput<T>() where T : default => Json.Deserialize<T>(Input);

    public override Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var serialized = Json.Serialize(input);
        return WithRetry(options?.Retry, () => Schedule<TResult>(
            id => new ScheduleTaskAction(id, name, serialized, options?.Tags), name, TaskKind.Activity));
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, object? input = null, TaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName);
        var serialized = Json.Serialize(input);
        var fixedId = (options as SubOrchestrationOptions)?.InstanceId;
        return WithRetry(options?.Retry, () =>
        {
            var childId = fixedId ?? NewGuid().ToString("N");
            return Schedule<TResult>(id => new CreateSubOrchestrationAction(id, orchestratorName, childId, serialized), orchestratorName, TaskKind.SubOrchestration);
        });
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        CheckThread();
        var id = _nextId++;
        Emit(new CreateTimerAction(id, DateTime.SpecifyKind(fireAt, DateTimeKind.Utc)));
        var tcs = Open(id, "timer", TaskKind.Timer);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        }
        return tcs.Task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        CheckThread();
        if (_buffered.TryGetValue(eventName, out var queue) && queue.TryDequeue(out var data))
        {
            return Task.FromResult(Json.Deserialize<T>(data)!);
        }
        var tcs = new TaskCompletionSource<string?>();
        if (!_waiters.TryGetValue(eventName, out var list))
        {
            _waiters[eventName] = list = new LinkedList<TaskCompletionSource<string?>>();
        }
        var node = list.AddLast(tcs);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                if (node.List is not null)
                {
                    list.Remove(node);
                }
                tcs.TrySetCanceled(cancellationToken);
            });
        }
        return Convert<T>(tcs.Task);
    }

    public override async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = CreateTimer(timeout, cts.Token);
        var received = WaitForExternalEvent<T>(eventName, cts.Token);
        var winner = await Task.WhenAny(received, timer);
        if (winner == received && received.IsCompletedSuccessfully)
        {
            cts.Cancel();
            return received.Result;
        }
        cts.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
        throw new TaskCanceledException($"No '{eventName}' event arrived within {timeout}.");
    }

    public override void SendEvent(string instanceId, string eventName, object? payload)
    {
        CheckThread();
        Emit(new SendEventAction(_nextId++, instanceId, eventName, Json.Serialize(payload)));
    }

    public override void SetCustomStatus(object? customStatus)
    {
        CheckThread();
        var serialized = Json.Serialize(customStatus);
        if (serialized is not null && Encoding.UTF8.GetByteCount(serialized) > MaxCustomStatusBytes)
        {
            throw new ArgumentException($"The custom status is larger than {MaxCustomStatusBytes} bytes when serialized.", nameof(customStatus));
        }
        CustomStatus = serialized;
    }

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        CheckThread();
        ContinueAsNewInput = (Json.Serialize(newInput), preserveUnprocessedEvents);
    }

    public override Guid NewGuid()
    {
        CheckThread();
        var name = Encoding.UTF8.GetBytes($"{InstanceId}_{Now:o}_{_guidCounter++}");
        Span<byte> ns = stackalloc byte[16];
        GuidNamespace.TryWriteBytes(ns, bigEndian: true, out _);
        var hash = SHA1.HashData([.. ns, .. name]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    public override ILogger CreateReplaySafeLogger(string categoryName) =>
        new ReplaySafeLogger(this, loggerFactory.CreateLogger(categoryName));

    /// <summary>History recorded action <paramref name="e"/>: the code must have taken the same action with the same id.</summary>
    internal void Confirm(HistoryEvent e)
    {
        var expected = e.EventType switch
        {
            EventType.TaskScheduled => $"CallActivity '{e.Name}'",
            EventType.TimerCreated => "CreateTimer",
            EventType.SubOrchestrationInstanceCreated => $"CallSubOrchestrator '{e.Name}'",
            _ => $"SendEvent '{e.Name}' to '{e.InstanceId}'",
        };
        if (!_unconfirmed.Remove(e.EventId, out var action) || action.Describe() != expected)
        {
            Fatal ??= $"Non-deterministic orchestration '{Name}' (instance '{InstanceId}'): history has action #{e.EventId} {expected}, "
                + $"but the orchestrator code now does {(action is null ? "nothing" : action.Describe())} at that point. "
                + "Orchestrator code must make the same calls in the same order on every replay.";
        }
    }

    internal void Resolve(int taskId, string? result, TaskFailureDetails? failure)
    {
        if (!_open.TryGetValue(taskId, out var open))
        {
            return;
        }
        if (failure is null)
        {
            open.Source.TrySetResult(result);
        }
        else
        {
            open.Source.TrySetException(new TaskFailedException(open.Name, taskId, failure));
        }
    }

    internal void Deliver(string name, string? data)
    {
        if (_waiters.TryGetValue(name, out var list) && list.First is { } first)
        {
            list.RemoveFirst();
            first.Value.TrySetResult(data);
            return;
        }
        if (!_buffered.TryGetValue(name, out var queue))
        {
            _buffered[name] = queue = new Queue<string?>();
        }
        queue.Enqueue(data);
    }

    internal IEnumerable<OrchestratorAction> UnconfirmedActions() => _unconfirmed.Values;

    private async Task<TResult> Schedule<TResult>(Func<int, OrchestratorAction> create, string name, TaskKind kind)
    {
        CheckThread();
        var id = _nextId++;
        Emit(create(id));
        var json = await Open(id, name, kind).Task;
        return Json.Deserialize<TResult>(json)!;
    }

    private async Task<TResult> WithRetry<TResult>(RetryPolicy? policy, Func<Task<TResult>> attempt)
    {
        if (policy is null)
        {
            return await attempt();
        }
        var started = Now;
        for (var n = 1; ; n++)
        {
            try
            {
                return await attempt();
            }
            catch (TaskFailedException e) when (n < policy.MaxNumberOfAttempts && policy.HandleFailure(e.FailureDetails))
            {
                var delay = policy.DelayAfter(n);
                if (policy.RetryTimeout != Timeout.InfiniteTimeSpan && Now + delay - started > policy.RetryTimeout)
                {
                    throw;
                }
                await CreateTimer(delay, CancellationToken.None);
            }
        }
    }

    private void Emit(OrchestratorAction action) => _unconfirmed[action.Id] = action;

    private TaskCompletionSource<string?> Open(int id, string name, TaskKind kind)
    {
        var tcs = new TaskCompletionSource<string?>();
        _open[id] = new OpenTask(tcs, name, kind);
        return tcs;
    }

    private static async Task<T> Convert<T>(Task<string?> task) => Json.Deserialize<T>(await task)!;

    private void CheckThread()
    {
        if (!Running || Environment.CurrentManagedThreadId != _threadId || SynchronizationContext.Current != sync)
        {
            throw new InvalidOperationException(
                "Orchestration context methods can only be called from the orchestrator's own thread. "
                + "Do not use ConfigureAwait(false), Task.Run, Task.Delay or I/O in orchestrator code.");
        }
    }

    private enum TaskKind
    {
        Activity,
        SubOrchestration,
        Timer,
    }

    private sealed record OpenTask(TaskCompletionSource<string?> Source, string Name, TaskKind Kind);

    private sealed class ReplaySafeLogger(ReplayContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}

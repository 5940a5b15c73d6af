using Microsoft.Extensions.Logging;
using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>
/// One orchestration instance inside the partition that owns it. Messages for the instance are processed one step
/// at a time: drop duplicates against history, replay, then checkpoint in the order that makes a crash at any
/// point safe: send outbound messages, append history (guarded by its ETag), then hand local work over, update the
/// Instances row, and delete the consumed messages in the background. Timers and messages to instances of this worker go
/// after the append instead: the append lists them as unsent (in the same transaction), a recovery after a crash
/// sends them again, and the next append drops those that arrived. The state stays cached between steps, so a step
/// reads nothing from storage.
/// </summary>
internal sealed class InstanceSession(string instanceId, PartitionProcessor partition)
{
    private readonly List<ReceivedMessage> _inbox = [];
    private readonly List<ReceivedMessage> _deferred = [];
    private readonly HashSet<ReceivedMessage> _handedOver = [];
    private readonly List<TaskMessage> _unsent = [];
    private readonly Dictionary<string, Task> _dispatches = [];
    private Task? _endRow;
    private bool _flushDeferred;
    private readonly DurableWorker _worker = partition.Worker;
    private InstanceState? _state;
    private bool _running;
    private bool _recover;
    private int _transientFailures;

    public string InstanceId { get; } = instanceId;

    public bool IsIdle
    {
        get
        {
            lock (_inbox)
            {
                return !_running && _inbox.Count == 0 && _deferred.Count == 0 && !_recover && UnsentCount == 0 && _endRow is null or { IsCompleted: true };
            }
        }
    }

    public bool IsTerminalAndIdle => IsIdle && _state is { IsTerminal: true };

    private ITaskHubStorage Storage => _worker.Storage;

    private ILogger Logger => _worker.Logger;

    private int UnsentCount
    {
        get
        {
            lock (_unsent)
            {
                return _unsent.Count;
            }
        }
    }

    public void Enqueue(IEnumerable<ReceivedMessage> messages)
    {
        var replaced = new List<ReceivedMessage>();
        lock (_inbox)
        {
            foreach (var m in messages)
            {
                if (m.Settled is not null)
                {
                    _handedOver.Add(m);
                }
                var same = _inbox.FindIndex(x => x.Message.Id == m.Message.Id);
                if (same >= 0)
                {
                    replaced.Add(_inbox[same]);
                    _inbox[same] = m;
                }
                else
                {
                    _inbox.Add(m);
                }
            }
        }
        // The same message, here again: the one that replaced it is processed instead.
        Settle(replaced, true);
        Kick();
    }

    /// <summary>Tells the senders of handed-over messages what became of them (see <see cref="ReceivedMessage.Settled"/>).</summary>
    private void Settle(IEnumerable<ReceivedMessage> messages, bool delivered)
    {
        foreach (var m in messages.Where(m => m.Settled is not null).ToList())
        {
            lock (_inbox)
            {
                _handedOver.Remove(m);
            }
            m.Settle(delivered);
        }
    }

    /// <summary>The partition is leaving this worker: messages handed over in memory go back to their senders, who send them by queue.</summary>
    public void Abandon()
    {
        List<ReceivedMessage> pending;
        lock (_inbox)
        {
            pending = [.. _handedOver];
        }
        Settle(pending, false);
    }

    public void RequestRecovery()
    {
        lock (_inbox)
        {
            _recover = true;
        }
        Kick();
    }

    private void Kick()
    {
        lock (_inbox)
        {
            if (_running || (_inbox.Count == 0 && !_recover && !_flushDeferred))
            {
                return;
            }
            _running = true;
        }
        _ = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var ct = partition.Stopping;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                List<ReceivedMessage> batch;
                bool recover;
                lock (_inbox)
                {
                    batch = [];
                    if (_inbox.Count > 0 || _flushDeferred)
                    {
                        // Held-back messages go with the next ones, or alone when their window has passed.
                        batch.AddRange(_deferred.Where(d => !_inbox.Exists(m => m.Message.Id == d.Message.Id)));
                        batch.AddRange(_inbox);
                        _deferred.Clear();
                        _inbox.Clear();
                        _flushDeferred = false;
                    }
                    recover = _recover;
                    _recover = false;
                    if (batch.Count == 0 && !recover)
                    {
                        _running = false;
                        return;
                    }
                }
                // A new instance's first step waits behind the steps of running ones (see StepSlots).
                await _worker.OrchestratorSlots.WaitAsync(starting: !recover && _state is null && batch.TrueForAll(m => m.Message.Event.EventType == EventType.ExecutionStarted), ct);
                try
                {
                    if (recover)
                    {
                        await RecoverAsync(ct);
                    }
                    if (batch.Count > 0)
                    {
                        await StepAsync(batch, ct);
                    }
                    _transientFailures = 0;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    await OnFailureAsync(batch, recover, e, ct);
                }
                finally
                {
                    _worker.OrchestratorSlots.Release();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        lock (_inbox)
        {
            _running = false;
        }
    }

    private async Task OnFailureAsync(List<ReceivedMessage> batch, bool recover, Exception e, CancellationToken ct)
    {
        if (e is CommittedStepException committed)
        {
            // History holds the step; the cached state is right. The retry finds the batch in it, writes the row
            // and deletes the messages.
            _transientFailures++;
            Logger.StepRetrying(committed.InnerException!, InstanceId, _transientFailures);
            await RetryLaterAsync(batch, recover, _transientFailures, ct);
            return;
        }
        _state = null;
        if (e is HistoryConflictException)
        {
            Logger.HistoryConflict(InstanceId);
            Settle(batch, false);
            await partition.ReleaseAsync(batch);
            return;
        }
        if (TransientErrors.IsTransient(e))
        {
            _transientFailures++;
            Logger.StepRetrying(e, InstanceId, _transientFailures);
        }
        else
        {
            foreach (var m in batch)
            {
                m.LocalFailures++;
            }
            Logger.StepFailed(e, InstanceId);
            var poisoned = batch.Where(m => m.Failures > _worker.Options.MaxDequeueCount).ToList();
            if (poisoned.Count > 0)
            {
                batch.RemoveAll(poisoned.Contains);
                await ParkAndFailAsync(poisoned, e, ct);
            }
        }
        await RetryLaterAsync(batch, recover, Math.Max(_transientFailures, batch.Count == 0 ? 0 : batch.Max(m => m.LocalFailures)), ct);
    }

    private async Task RetryLaterAsync(List<ReceivedMessage> batch, bool recover, int attempt, CancellationToken ct)
    {
        await Task.Delay(TransientErrors.Backoff(attempt, TimeSpan.FromSeconds(5)), ct);
        lock (_inbox)
        {
            _inbox.InsertRange(0, batch.Where(m => !_inbox.Exists(x => x.Message.Id == m.Message.Id)));
            _recover |= recover;
        }
    }

    /// <summary>A step failed after its history append: only its row write is left.</summary>
    private sealed class CommittedStepException(Exception inner) : Exception("The step is in history; what follows the append failed.", inner);

    /// <summary>Parks messages that failed too often and fails the instance with a reason that says so.</summary>
    private async Task ParkAndFailAsync(List<ReceivedMessage> poisoned, Exception cause, CancellationToken ct)
    {
        var reason = $"{poisoned.Count} message(s) for instance '{InstanceId}' failed {poisoned.Max(m => m.Failures)} times "
            + $"(limit {_worker.Options.MaxDequeueCount}) and were parked in the poison store: "
            + string.Join(", ", poisoned.Select(m => $"{m.Message.Event.EventType} {m.Message.Id}"))
            + $". Last error: {cause.GetType().Name}: {cause.Message}";
        foreach (var m in poisoned)
        {
            await Storage.ParkPoisonMessageAsync(m, reason, ct);
            if (m.Receipt is not null)
            {
                await Storage.DeleteMessageAsync(m, ct);
            }
        }
        Settle(poisoned, true);
        Logger.MessagesPoisoned(InstanceId, reason);
        await FailInstanceAsync(reason, ct);
    }

    private async Task FailInstanceAsync(string reason, CancellationToken ct)
    {
        var failure = new TaskFailureDetails(PoisonMessageError, reason);
        try
        {
            var state = InstanceState.From(await Storage.ReadHistoryAsync(InstanceId, ct));
            if (state.HasHistory && !state.IsTerminal)
            {
                var now = StepTime(state);
                var events = new List<HistoryEvent>
                {
                    new() { EventType = EventType.OrchestratorStarted, Timestamp = now },
                    new() { EventType = EventType.ExecutionPoisoned, Timestamp = now, Result = reason },
                };
                var outbound = new List<Outbound>();
                Complete(state, events, outbound, now, OrchestrationRuntimeStatus.Failed, null, failure);
                await CheckpointAsync(state, events, newExecution: false, outbound, [], [], now, ct);
                return;
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Logger.StepFailed(e, InstanceId);
        }
        var row = await Storage.GetInstanceAsync(InstanceId, ct);
        if (row is not null && !row.RuntimeStatus.IsTerminal())
        {
            var now = DateTime.UtcNow;
            await Storage.UpdateInstanceAsync(row with { RuntimeStatus = OrchestrationRuntimeStatus.Failed, FailureDetails = failure, LastUpdatedTime = now, CompletedTime = now, ETag = null }, ct);
        }
        _state = null;
    }

    public const string PoisonMessageError = "Urumi.Durable.PoisonMessage";

    private async Task<InstanceState> LoadAsync(CancellationToken ct)
    {
        if (_state is null)
        {
            _state = InstanceState.From(await Storage.ReadHistoryAsync(InstanceId, ct));
        }
        return _state;
    }

    /// <summary>
    /// After this worker took the partition: bring the Instances row in line with history, re-send a start that may
    /// have been lost, and hand activities that were running in a lost process to the work-item queue.
    /// </summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        _state = null;
        var state = await LoadAsync(ct);
        var row = await Storage.GetInstanceAsync(InstanceId, ct);
        if (!state.HasHistory)
        {
            if (row is { RuntimeStatus: OrchestrationRuntimeStatus.Pending, ExecutionId: not null })
            {
                var delay = row.ScheduledStartTime is { } at ? at - DateTime.UtcNow : TimeSpan.Zero;
                await Storage.SendControlMessageAsync(DurableTaskClient.StartMessage(row), delay, ct);
            }
            return;
        }
        // What the last steps sent after their append may not have arrived: send it again (receivers drop duplicates).
        List<TaskMessage> unsent;
        lock (_unsent)
        {
            _unsent.Clear();
            _unsent.AddRange(state.Snapshot.Unsent.Where(m => Needed(m, state.IsTerminal)));
            unsent = [.. _unsent];
        }
        foreach (var message in unsent)
        {
            StartDispatch(message);
        }
        var now = StepTime(state);
        if (state.IsTerminal && unsent.Count > 0)
        {
            // It ended, but what its last step sent may not have arrived: its row shows the end once that is out.
            state.CustomStatus = row?.CustomStatus;
            state.RowDirty = true;
            _endRow = WriteEndRowWhenSentAsync(state, now);
            return;
        }
        var unfinished = state.UnfinishedLocalTasks()
            .Where(t => !_worker.ActivityDispatcher.IsRunningLocally(WorkItemFor(state, t).Id) && !HasHeldBackResult(t.EventId))
            .ToList();
        if (unfinished.Count > 0 && !state.IsTerminal)
        {
            foreach (var task in unfinished)
            {
                await Storage.SendWorkItemAsync(WorkItemFor(state, task), ct);
            }
            var events = unfinished.Select(t => new HistoryEvent { EventType = EventType.TaskRedispatched, Timestamp = now, TaskScheduledId = t.EventId }).ToList();
            var snapshot = await Storage.AppendHistoryAsync(InstanceId, state.Snapshot, events, newExecution: false, Unsent(), ct);
            state.Appended(snapshot, events);
            Logger.ActivitiesRedispatched(InstanceId, unfinished.Count);
        }
        if (row is null || row.RuntimeStatus != state.Status || row.ExecutionId != state.ExecutionId)
        {
            state.CustomStatus = row?.CustomStatus;
            await WriteRowAsync(state, now, ct);
            state.WrittenCustomStatus = state.CustomStatus;
            Logger.InstanceRowRepaired(InstanceId, row?.RuntimeStatus.ToString() ?? "missing", state.Status.ToString());
        }
        state.RowInSync = true;
    }

    private async Task StepAsync(List<ReceivedMessage> batch, CancellationToken ct)
    {
        // A batch of nothing but starts for an instance this worker has not seen is almost always a new instance:
        // assume an empty history instead of reading it. If one exists, the append conflicts and the step reruns on it.
        var assumeNew = _state is null && batch.All(m => m.Message.Event.EventType == EventType.ExecutionStarted);
        if (!assumeNew)
        {
            await StepOnStateAsync(batch, await LoadAsync(ct), ct);
            return;
        }
        try
        {
            await StepOnStateAsync(batch, _state = InstanceState.From(HistorySnapshot.Empty), ct);
        }
        catch (HistoryConflictException)
        {
            _state = null;
            await StepOnStateAsync(batch, await LoadAsync(ct), ct);
        }
    }

    private async Task StepOnStateAsync(List<ReceivedMessage> batch, InstanceState state, CancellationToken ct)
    {
        batch = [.. batch.OrderBy(m => m.Message.Event.EventType == EventType.ExecutionStarted ? 0 : 1)];
        var consumed = new List<ReceivedMessage>();
        var accepted = new List<ReceivedMessage>();
        ReceivedMessage? start = null;
        foreach (var m in batch)
        {
            switch (Classify(state, m, start is not null))
            {
                case Disposition.Accept:
                    accepted.Add(m);
                    break;
                case Disposition.Start:
                    start = m;
                    break;
                case Disposition.Drop:
                    consumed.Add(m);
                    break;
                case Disposition.Wait:
                    await WaitForStartAsync(m, ct);
                    break;
                case Disposition.Reschedule:
                    var e = m.Message.Event;
                    await Storage.SendControlMessageAsync(m.Message, TimerDelay(e.FireAt!.Value), ct);
                    consumed.Add(m);
                    break;
            }
        }
        if (start is null && accepted.Count == 0)
        {
            // A step that failed after appending these messages left its row and deletes to this retry.
            await Task.WhenAll(DeleteAsync(consumed, ct), _endRow is { IsCompleted: false } ? Task.CompletedTask : WriteRowIfDirtyAsync(state, StepTime(state), ct));
            Settle(consumed, true);
            return;
        }

        var now = start is null ? StepTime(state) : DateTime.UtcNow;
        var events = new List<HistoryEvent> { new() { EventType = EventType.OrchestratorStarted, Timestamp = now } };
        var past = state.Snapshot.Events;
        var newExecution = false;
        if (start is not null)
        {
            newExecution = state.HasHistory;
            past = [];
            events.Add(start.Message.Event with { MessageId = start.Message.Id, ExecutionId = start.Message.ExecutionId, InstanceId = InstanceId });
            state = InstanceState.From(HistorySnapshot.Empty with { ETag = state.Snapshot.ETag, NextOrdinal = state.Snapshot.NextOrdinal });
            state.Appended(state.Snapshot, events);
        }
        events.AddRange(accepted.Select(m => m.Message.Event with { MessageId = m.Message.Id, Timestamp = now }));
        consumed.AddRange(accepted);
        if (start is not null)
        {
            consumed.Add(start);
        }

        var outbound = new List<Outbound>();
        var local = new List<TaskMessage>();
        var terminate = events.LastOrDefault(e => e.EventType is EventType.ExecutionTerminated or EventType.ExecutionPoisoned);
        var suspended = state.Status == OrchestrationRuntimeStatus.Suspended;
        foreach (var e in events)
        {
            suspended = e.EventType switch
            {
                EventType.ExecutionSuspended => true,
                EventType.ExecutionResumed => false,
                _ => suspended,
            };
        }

        var statusBefore = state.CustomStatus;
        if (terminate is not null)
        {
            var status = terminate.EventType == EventType.ExecutionPoisoned ? OrchestrationRuntimeStatus.Failed : OrchestrationRuntimeStatus.Terminated;
            var failure = status == OrchestrationRuntimeStatus.Failed ? new TaskFailureDetails(PoisonMessageError, terminate.Result ?? "A message was parked in the poison store.") : null;
            Complete(state, events, outbound, now, status, status == OrchestrationRuntimeStatus.Terminated ? terminate.Input : null, failure);
        }
        else if (!suspended)
        {
            newExecution |= Execute(ref state, ref past, events, outbound, local, now);
        }
        if (start is null && terminate is null && !suspended && !newExecution && outbound.Count == 0 && local.Count == 0
            && state.CustomStatus == statusBefore && !events.Exists(e => e.EventType == EventType.ExecutionCompleted)
            && consumed.TrueForAll(m => m.Receipt is null && m.Settled is null && !m.Deferred) && _worker.Options.EmptyStepWindow > TimeSpan.Zero)
        {
            Defer(consumed);
            return;
        }
        events.Add(new HistoryEvent { EventType = EventType.OrchestratorCompleted, Timestamp = now });
        await CheckpointAsync(state, events, newExecution, outbound, local, consumed, now, ct);
    }

    /// <summary>True when the result of task <paramref name="taskId"/> is here, held back by an empty step: it is not lost.</summary>
    private bool HasHeldBackResult(int taskId)
    {
        lock (_inbox)
        {
            return _deferred.Exists(m => m.Message.Event.TaskScheduledId == taskId && m.Message.Event.EventType is EventType.TaskCompleted or EventType.TaskFailed);
        }
    }

    /// <summary>
    /// Holds back a step that would record only the arrival of local results (see EmptyStepWindow): the messages wait
    /// for the next ones, or for the window to pass. Nothing was written, so the step is simply taken later.
    /// </summary>
    private void Defer(List<ReceivedMessage> messages)
    {
        foreach (var m in messages)
        {
            m.Deferred = true;
        }
        lock (_inbox)
        {
            _deferred.AddRange(messages);
        }
        Interlocked.Increment(ref _worker.DeferredSteps);
        _ = FlushAfterAsync(_worker.Options.EmptyStepWindow);
    }

    private async Task FlushAfterAsync(TimeSpan window)
    {
        try
        {
            await Task.Delay(window, partition.Stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_inbox)
        {
            if (_deferred.Count == 0)
            {
                return;
            }
            _flushDeferred = true;
        }
        Kick();
    }

    /// <summary>Replays and runs the orchestrator; returns true when ContinueAsNew started a new execution.</summary>
    private bool Execute(ref InstanceState state, ref IReadOnlyList<HistoryEvent> past, List<HistoryEvent> events, List<Outbound> outbound, List<TaskMessage> local, DateTime now)
    {
        var newExecution = false;
        for (var generation = 0; ; generation++)
        {
            var info = new OrchestrationInfo(state.Name ?? "", InstanceId, state.ExecutionId ?? "", state.Parent);
            var result = OrchestrationExecutor.Execute(_worker.Registry.GetOrchestrator(info.Name), info, past, events, null, _worker.LoggerFactory);
            state.CustomStatus = result.CustomStatus;
            if (result.Completion == OrchestrationRuntimeStatus.ContinuedAsNew && generation < 100)
            {
                foreach (var send in result.Actions.OfType<SendEventAction>())
                {
                    AddAction(state, send, events, outbound, local, now);
                }
                var executionId = DeterministicId.ExecutionIdFor($"{InstanceId}|{state.ExecutionId}|continue");
                var started = new HistoryEvent
                {
                    EventType = EventType.ExecutionStarted,
                    Timestamp = now,
                    Name = state.Name,
                    Input = result.Output,
                    ExecutionId = executionId,
                    InstanceId = InstanceId,
                    Parent = state.Parent,
                    CarriedMessageIds = ProcessedMessageIds(past, events),
                };
                var carried = result.PreserveUnprocessedEvents ? result.UnprocessedEvents : [];
                var snapshot = state.Snapshot;
                events.Clear();
                events.Add(new HistoryEvent { EventType = EventType.OrchestratorStarted, Timestamp = now });
                events.Add(started);
                events.AddRange(carried);
                state = InstanceState.From(HistorySnapshot.Empty with { ETag = snapshot.ETag, NextOrdinal = snapshot.NextOrdinal });
                state.Appended(state.Snapshot, events);
                past = [];
                newExecution = true;
                Logger.ContinuedAsNew(InstanceId, executionId);
                continue;
            }
            foreach (var action in result.Actions)
            {
                AddAction(state, action, events, outbound, local, now);
            }
            if (result.Completion is { } completion)
            {
                Complete(state, events, outbound, now, completion, result.Output, result.Failure);
            }
            return newExecution;
        }
    }

    /// <summary>The last ids of messages an execution processed (those it carried over from the one before included).</summary>
    private static List<string> ProcessedMessageIds(IReadOnlyList<HistoryEvent> past, List<HistoryEvent> events)
    {
        var ids = past.Concat(events)
            .SelectMany(e => (e.CarriedMessageIds ?? []).Concat(e.MessageId is null ? [] : [e.MessageId]))
            .ToList();
        return ids.Count > MaxCarriedMessageIds ? ids[^MaxCarriedMessageIds..] : ids;
    }

    private const int MaxCarriedMessageIds = 300;

    private void AddAction(InstanceState state, OrchestratorAction action, List<HistoryEvent> events, List<Outbound> outbound, List<TaskMessage> local, DateTime now)
    {
        var exec = state.ExecutionId;
        switch (action)
        {
            case ScheduleTaskAction t:
                var isLocal = _worker.ActivityDispatcher.TryReserveLocal();
                var scheduled = new HistoryEvent { EventType = EventType.TaskScheduled, EventId = t.Id, Timestamp = now, Name = t.Name, Input = t.Input, Tags = t.Tags, DispatchedLocally = isLocal };
                events.Add(scheduled);
                var item = WorkItemFor(state, scheduled);
                if (isLocal)
                {
                    local.Add(item);
                }
                else
                {
                    outbound.Add(new Outbound(item, WorkItem: true, TimeSpan.Zero));
                }
                break;
            case CreateTimerAction timer:
                events.Add(new HistoryEvent { EventType = EventType.TimerCreated, EventId = timer.Id, Timestamp = now, FireAt = timer.FireAt });
                var fired = new HistoryEvent { EventType = EventType.TimerFired, TaskScheduledId = timer.Id, FireAt = timer.FireAt, Timestamp = timer.FireAt };
                outbound.Add(new Outbound(new TaskMessage(DeterministicId.Message(InstanceId, exec, "timer", timer.Id), InstanceId, exec, fired), false, TimerDelay(timer.FireAt)));
                break;
            case CreateSubOrchestrationAction sub:
                events.Add(new HistoryEvent { EventType = EventType.SubOrchestrationInstanceCreated, EventId = sub.Id, Timestamp = now, Name = sub.Name, Input = sub.Input, InstanceId = sub.InstanceId });
                var childExecution = DeterministicId.ExecutionIdFor($"{InstanceId}|{exec}|{sub.Id}");
                var startChild = new HistoryEvent
                {
                    EventType = EventType.ExecutionStarted,
                    Timestamp = now,
                    Name = sub.Name,
                    Input = sub.Input,
                    ExecutionId = childExecution,
                    InstanceId = sub.InstanceId,
                    Parent = new ParentInstance(state.Name ?? "", InstanceId, exec ?? "", sub.Id),
                };
                outbound.Add(new Outbound(new TaskMessage(DeterministicId.Message(sub.InstanceId, childExecution, "start", 0), sub.InstanceId, childExecution, startChild), false, TimeSpan.Zero));
                break;
            case SendEventAction send:
                events.Add(new HistoryEvent { EventType = EventType.EventSent, EventId = send.Id, Timestamp = now, Name = send.EventName, Input = send.Data, InstanceId = send.InstanceId });
                var raised = new HistoryEvent { EventType = EventType.EventRaised, Timestamp = now, Name = send.EventName, Input = send.Data };
                outbound.Add(new Outbound(new TaskMessage(DeterministicId.Message(InstanceId, exec, "event", send.Id), send.InstanceId, null, raised), false, TimeSpan.Zero));
                break;
        }
    }

    private void Complete(InstanceState state, List<HistoryEvent> events, List<Outbound> outbound, DateTime now, OrchestrationRuntimeStatus status, string? output, TaskFailureDetails? failure)
    {
        events.Add(new HistoryEvent
        {
            EventType = EventType.ExecutionCompleted,
            Timestamp = now,
            OrchestrationStatus = status,
            Result = output,
            FailureDetails = failure,
            ExecutionId = state.ExecutionId,
            Name = state.Name,
        });
        if (state.Parent is { } parent)
        {
            var reply = new HistoryEvent
            {
                EventType = status == OrchestrationRuntimeStatus.Completed ? EventType.SubOrchestrationInstanceCompleted : EventType.SubOrchestrationInstanceFailed,
                Timestamp = now,
                TaskScheduledId = parent.TaskScheduledId,
                Result = output,
                FailureDetails = status == OrchestrationRuntimeStatus.Completed ? null
                    : failure ?? new TaskFailureDetails("Urumi.Durable.SubOrchestrationTerminated", $"Sub-orchestration '{InstanceId}' was {status}: {output}"),
            };
            outbound.Add(new Outbound(new TaskMessage(DeterministicId.Message(InstanceId, state.ExecutionId, "done", parent.TaskScheduledId), parent.InstanceId, parent.ExecutionId, reply), false, TimeSpan.Zero));
        }
    }

    private async Task CheckpointAsync(InstanceState state, List<HistoryEvent> events, bool newExecution, List<Outbound> outbound, List<TaskMessage> local, List<ReceivedMessage> consumed, DateTime now, CancellationToken ct)
    {
        var previousStatus = _state?.Status;
        var rowInSync = _state?.RowInSync ?? false;
        var ends = events.Exists(e => e.EventType == EventType.ExecutionCompleted);
        var after = outbound.Where(o => SendsAfterAppend(o) && Needed(o.Message, ends)).ToList();
        var unsent = Unsent(ends, after.Select(o => o.Message));
        if (unsent.Sum(m => (m.Event.Input?.Length ?? 0) + (m.Event.Result?.Length ?? 0)) > MaxUnsentChars)
        {
            after = [];
            unsent = Unsent(ends);
        }
        var before = outbound.Except(after).ToList();
        try
        {
            await Task.WhenAll(before.Select(o => SendAsync(o, ct)));
            FailPoints.Hit("checkpoint.afterSend");
            var snapshot = await Storage.AppendHistoryAsync(InstanceId, state.Snapshot, events, newExecution, unsent, ct);
            if (newExecution)
            {
                var customStatus = state.CustomStatus;
                state = InstanceState.From(snapshot);
                state.CustomStatus = customStatus;
            }
            else
            {
                state.Appended(snapshot, events);
            }
            _state = state;
        }
        catch
        {
            _worker.ActivityDispatcher.CancelReservations(local.Count);
            throw;
        }
        lock (_unsent)
        {
            _unsent.AddRange(after.Select(o => o.Message));
        }
        FailPoints.Hit("checkpoint.afterHistoryAppend");
        // History holds the step: what it hands to this worker starts now, not after the row and the deletes.
        foreach (var item in local)
        {
            _worker.ActivityDispatcher.RunLocal(item);
        }
        foreach (var o in after)
        {
            StartDispatch(o.Message);
        }
        Settle(consumed, true);
        state.RowDirty = !rowInSync || newExecution || previousStatus != state.Status || state.WrittenCustomStatus != state.CustomStatus || state.IsTerminal;
        if (ends && unsent.Count > 0)
        {
            // Recovery looks only at instances whose row shows them unfinished: this one's row shows its end once what
            // it sent is out. That is written in the background, so no step waits for another instance's step.
            DeleteLater(consumed, ct);
            _endRow = WriteEndRowWhenSentAsync(state, now);
            return;
        }
        try
        {
            // The row needs only the append before it (a takeover repairs a row that lags history). The deletes do not
            // hold up the next step: a message whose delete is lost comes back and is dropped as a duplicate.
            DeleteLater(consumed, ct);
            await WriteRowIfDirtyAsync(state, now, ct);
            FailPoints.Hit("checkpoint.afterInstanceUpdate");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new CommittedStepException(e);
        }
        if (state.IsTerminal)
        {
            ReportEnded(state);
        }
    }

    private void ReportEnded(InstanceState state)
    {
        Logger.OrchestrationCompleted(state.Name ?? "", InstanceId, state.Status.ToString(), state.Failure?.ErrorMessage);
        _worker.OnInstanceCompleted(InstanceId, state.Status);
    }

    /// <summary>Writes the row of an ended instance once every unsent message is out, retrying until it is written.</summary>
    private async Task WriteEndRowWhenSentAsync(InstanceState state, DateTime now)
    {
        var ct = partition.Stopping;
        Task[] pending;
        lock (_unsent)
        {
            pending = [.. _dispatches.Values];
        }
        await Task.WhenAll(pending);
        for (var attempt = 1; !ct.IsCancellationRequested; attempt++)
        {
            try
            {
                await WriteRowIfDirtyAsync(state, now, ct);
                ReportEnded(state);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The row stays unfinished: the partition's next owner recovers the instance, sends again and writes it.
                return;
            }
            catch (Exception e)
            {
                Logger.StepRetrying(e, InstanceId, attempt);
                try
                {
                    await Task.Delay(TransientErrors.Backoff(attempt, TimeSpan.FromSeconds(5)), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void StartDispatch(TaskMessage message)
    {
        var dispatch = DispatchAsync(message);
        lock (_unsent)
        {
            foreach (var done in _dispatches.Where(d => d.Value.IsCompleted).Select(d => d.Key).ToList())
            {
                _dispatches.Remove(done);
            }
            if (!dispatch.IsCompleted)
            {
                _dispatches[message.Id] = dispatch;
            }
        }
    }

    /// <summary>
    /// Payload characters the unsent list may hold (it is kept with the history's sentinel row, in a blob when long); a
    /// step whose list would grow beyond sends first, as messages to other workers are sent.
    /// </summary>
    private const int MaxUnsentChars = 256_000;

    /// <summary>
    /// A timer, or a message to another instance this worker runs: sent after the append (listed as unsent in it),
    /// so it is not on the step's path. Activity work items and messages to other workers go before the append.
    /// </summary>
    private bool SendsAfterAppend(Outbound o) =>
        !o.WorkItem && (IsTimer(o.Message) || (o.Message.InstanceId != InstanceId && _worker.CanHandOver(o.Message.InstanceId)));

    private static bool IsTimer(TaskMessage message) => message.Event.EventType == EventType.TimerFired;

    /// <summary>Whether an unsent message still matters: an ended instance's timers would only be dropped.</summary>
    private static bool Needed(TaskMessage message, bool ended) => !ended || !IsTimer(message);

    /// <summary>
    /// The unsent messages to list with the next append: those not yet known to have arrived, then <paramref name="added"/>;
    /// for a step that ends the instance, without timers.
    /// </summary>
    private List<TaskMessage> Unsent(bool ends = false, IEnumerable<TaskMessage>? added = null)
    {
        lock (_unsent)
        {
            return [.. _unsent.Concat(added ?? []).Where(m => Needed(m, ends))];
        }
    }

    /// <summary>
    /// Sends a message the append listed as unsent: hands it over in memory when its receiver runs here, otherwise (a
    /// timer, or its receiver let it go) by queue, retrying until it is out. Then it is no longer unsent; the next append
    /// drops it from the list. When this partition leaves the worker first, its next owner sends it from that list.
    /// </summary>
    private async Task DispatchAsync(TaskMessage message)
    {
        var ct = partition.Stopping;
        try
        {
            var timer = IsTimer(message);
            if (!timer && await _worker.HandOverAsync(message))
            {
                return;
            }
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await Storage.SendControlMessageAsync(message, timer ? TimerDelay(message.Event.FireAt!.Value) : TimeSpan.Zero, ct);
                    return;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    Logger.UnsentSendRetrying(e, InstanceId, message.Id, attempt + 1);
                    await Task.Delay(TransientErrors.Backoff(attempt, TimeSpan.FromSeconds(30)), ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Left in the unsent list of the last append: the partition's next owner sends it.
            return;
        }
        finally
        {
            if (!ct.IsCancellationRequested)
            {
                lock (_unsent)
                {
                    _unsent.RemoveAll(m => m.Id == message.Id);
                }
            }
        }
    }

    /// <summary>Sends one outbound message before the append: to the work-item queue or a control queue.</summary>
    private async Task SendAsync(Outbound o, CancellationToken ct)
    {
        if (o.WorkItem)
        {
            await Storage.SendWorkItemAsync(o.Message, ct);
            return;
        }
        await Storage.SendControlMessageAsync(o.Message, o.Delay, ct);
    }

    /// <summary>Writes the row when a step changed it (or a failed write left it behind).</summary>
    private async Task WriteRowIfDirtyAsync(InstanceState state, DateTime now, CancellationToken ct)
    {
        if (state.RowDirty)
        {
            await WriteRowAsync(state, now, ct);
            state.WrittenCustomStatus = state.CustomStatus;
            state.RowDirty = false;
            state.RowInSync = true;
        }
    }

    private Task WriteRowAsync(InstanceState state, DateTime now, CancellationToken ct) =>
        Storage.UpdateInstanceAsync(state.ToRecord(InstanceId, now), ct);

    private async Task DeleteAsync(List<ReceivedMessage> consumed, CancellationToken ct) =>
        await Task.WhenAll(consumed.Where(m => m.Receipt is not null).Select(m => Storage.DeleteMessageAsync(m, ct)));

    private void DeleteLater(List<ReceivedMessage> consumed, CancellationToken ct)
    {
        if (!consumed.Exists(m => m.Receipt is not null))
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await DeleteAsync(consumed, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Logger.MessageDeleteFailed(e, InstanceId);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    private async Task WaitForStartAsync(ReceivedMessage m, CancellationToken ct)
    {
        var row = await Storage.GetInstanceAsync(InstanceId, ct);
        if (row is null)
        {
            Logger.MessageForUnknownInstance(InstanceId, m.Message.Event.EventType.ToString());
            if (m.Receipt is not null)
            {
                await Storage.DeleteMessageAsync(m, ct);
            }
            Settle([m], true);
            return;
        }
        if (row.RuntimeStatus == OrchestrationRuntimeStatus.Pending && m.Message.Event.EventType == EventType.ExecutionTerminated)
        {
            var state = InstanceState.From(HistorySnapshot.Empty);
            var now = DateTime.UtcNow;
            var events = new List<HistoryEvent>
            {
                new() { EventType = EventType.OrchestratorStarted, Timestamp = now },
                m.Message.Event with { MessageId = m.Message.Id, Timestamp = now },
                new() { EventType = EventType.ExecutionCompleted, Timestamp = now, OrchestrationStatus = OrchestrationRuntimeStatus.Terminated, Result = m.Message.Event.Input, ExecutionId = row.ExecutionId, Name = row.Name },
            };
            var snapshot = await Storage.AppendHistoryAsync(InstanceId, state.Snapshot, events, newExecution: false, [], ct);
            _state = InstanceState.From(snapshot);
            await Storage.UpdateInstanceAsync(row with { RuntimeStatus = OrchestrationRuntimeStatus.Terminated, Output = m.Message.Event.Input, LastUpdatedTime = now, CompletedTime = now, ETag = null }, ct);
            if (m.Receipt is not null)
            {
                await Storage.DeleteMessageAsync(m, ct);
            }
            Settle([m], true);
            return;
        }
        if (m.Receipt is not null)
        {
            await Storage.ReleaseMessageAsync(m, TimeSpan.FromSeconds(1), ct);
        }
        // Handed over before its instance started: its sender sends it by queue, to be tried again from there.
        Settle([m], false);
    }

    private static Disposition Classify(InstanceState state, ReceivedMessage m, bool startInBatch)
    {
        var message = m.Message;
        var e = message.Event;
        if (state.MessageIds.Contains(message.Id))
        {
            return Disposition.Drop;
        }
        if (e.EventType == EventType.ExecutionStarted)
        {
            if (startInBatch || state.ExecutionId == message.ExecutionId || (state.HasHistory && !state.IsTerminal))
            {
                return Disposition.Drop;
            }
            return Disposition.Start;
        }
        if (!state.HasHistory)
        {
            return startInBatch ? Disposition.Accept : Disposition.Wait;
        }
        if (state.IsTerminal)
        {
            return Disposition.Drop;
        }
        if (message.ExecutionId is not null && message.ExecutionId != state.ExecutionId)
        {
            return Disposition.Drop;
        }
        if (e.EventType is EventType.TaskCompleted or EventType.TaskFailed or EventType.TimerFired
            or EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed
            && state.CompletedTasks.Contains(e.TaskScheduledId))
        {
            return Disposition.Drop;
        }
        if (e.EventType == EventType.TimerFired && e.FireAt > DateTime.UtcNow.AddMilliseconds(50))
        {
            return Disposition.Reschedule;
        }
        return Disposition.Accept;
    }

    private TaskMessage WorkItemFor(InstanceState state, HistoryEvent scheduled) =>
        new(DeterministicId.Message(InstanceId, state.ExecutionId, "task", scheduled.EventId), InstanceId, state.ExecutionId, scheduled)
        {
            OrchestrationName = state.Name,
        };

    /// <summary>The step time: now, but never before the previous step (so CurrentUtcDateTime never goes back).</summary>
    private static DateTime StepTime(InstanceState state)
    {
        var now = DateTime.UtcNow;
        return now > state.LastStepTime ? now : state.LastStepTime.AddTicks(1);
    }

    /// <summary>Queue visibility is at most 7 days: longer timers are re-sent when they come due early.</summary>
    private static TimeSpan TimerDelay(DateTime fireAt)
    {
        var delay = fireAt - DateTime.UtcNow;
        var max = TimeSpan.FromDays(6);
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > max ? max : delay;
    }

    private enum Disposition
    {
        Accept,
        Start,
        Drop,
        Wait,
        Reschedule,
    }

    private sealed record Outbound(TaskMessage Message, bool WorkItem, TimeSpan Delay);
}

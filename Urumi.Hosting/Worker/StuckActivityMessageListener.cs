using System.Diagnostics.Tracing;
using System.Text.RegularExpressions;

namespace Urumi.Hosting.Worker;

/// <summary>
/// Watches DurableTask.AzureStorage's event source for the warning it writes when it drops a work-item message it
/// believes in flight (AssertFailure, event 105: "Work item queue message with ID = {id} is being processed multiple
/// times concurrently.") on one task hub, and completes <see cref="Stuck"/> with the message id once
/// <see cref="DroppedRedeliveries"/> says that message is stuck. The event text is DurableTask.AzureStorage 2.11.2's
/// (AzureStorageOrchestrationService.LockNextTaskActivityWorkItem); the Azurite-restart test fails if it changes.
/// </summary>
public sealed partial class StuckActivityMessageListener : EventListener
{
    private const string SourceName = "DurableTask-AzureStorage";
    private const int AssertFailureEventId = 105;

    private readonly string _taskHub;
    private readonly DroppedRedeliveries _drops = new();
    private TaskCompletionSource<string> _stuck = NewSource();

    // EventListener's constructor announces the existing sources (OnEventSourceCreated) before this body runs.
    public StuckActivityMessageListener(string taskHub) => _taskHub = taskHub;

    /// <summary>Completes with the id of a stuck message; <see cref="Reset"/> starts watching afresh.</summary>
    public Task<string> Stuck => _stuck.Task;

    /// <summary>Forgets what was seen: called when a new orchestration service replaces the one that held it.</summary>
    public void Reset()
    {
        _drops.Clear();
        Interlocked.Exchange(ref _stuck, NewSource());
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == SourceName)
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        // Null while the base constructor runs; field initializers (_drops, _stuck) run before it.
        if (_taskHub is null || e.EventId != AssertFailureEventId || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }
        var hub = Field(e, "TaskHub");
        if (!string.Equals(hub, _taskHub, StringComparison.OrdinalIgnoreCase)
            || DroppedMessage().Match(Field(e, "Details") ?? "") is not { Success: true } match)
        {
            return;
        }
        var messageId = match.Groups["id"].Value;
        if (_drops.IsStuckAfter(messageId))
        {
            _stuck.TrySetResult(messageId);
        }
    }

    private static string? Field(EventWrittenEventArgs e, string name) =>
        e.PayloadNames!.IndexOf(name) is var i and >= 0 ? e.Payload![i] as string : null;

    private static TaskCompletionSource<string> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex(@"^Work item queue message with ID = (?<id>\S+) is being processed multiple times concurrently\.")]
    private static partial Regex DroppedMessage();
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Urumi.Bench;

/// <summary>One structured log event of DurableTask.Core or DurableTask.AzureStorage, with when this process saw it.</summary>
internal sealed record TraceEntry(DateTime At, int EventId, IReadOnlyDictionary<string, object?> Fields)
{
    public string Instance => Fields.TryGetValue("InstanceId", out var id) ? id as string ?? "" : "";

    public long Number(string field) => Fields.TryGetValue(field, out var value) && value is not null ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
}

/// <summary>
/// Captures the engine's own structured logs (not the app's): orchestration episodes (DurableTask.Core 51, 52),
/// activity runs (60, 61) and history reads (DurableTask.AzureStorage 110: events read, requests, latency). Registered as a logger provider with its own filter, so the app's log levels are unchanged.
/// </summary>
internal sealed class DurableTrace : ILoggerProvider
{
    public const int OrchestrationExecuting = 51, OrchestrationExecuted = 52, ActivityStarting = 60, ActivityCompleted = 61,
        FetchedHistory = 110;

    private static readonly HashSet<int> _captured = [OrchestrationExecuting, OrchestrationExecuted, ActivityStarting, ActivityCompleted, FetchedHistory];
    private readonly ConcurrentQueue<TraceEntry> _entries = new();

    public bool Recording { get; set; }

    public IReadOnlyList<TraceEntry> Entries => [.. _entries];

    public void Clear() => _entries.Clear();

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith("DurableTask.", StringComparison.Ordinal) ? new Capture(this) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Capture(DurableTrace trace) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => trace.Recording;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (trace.Recording && _captured.Contains(eventId.Id) && state is IEnumerable<KeyValuePair<string, object>> fields)
            {
                trace._entries.Enqueue(new TraceEntry(DateTime.UtcNow, eventId.Id, fields.ToDictionary(f => f.Key, f => (object?)f.Value)));
            }
        }
    }
}

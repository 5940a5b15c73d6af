using System.Diagnostics;
using DurableTask.Core;
using DurableTask.Core.Tracing;
using Urumi.Hosting.Telemetry;

namespace Urumi.Hosting.Client;

/// <summary>
/// Joins an orchestration to the trace of whoever starts it. DurableTask.Core's dispatchers emit the orchestration,
/// activity and timer spans (ActivitySource "DurableTask.Core") under the W3C context carried by the start event
/// (ExecutionStartedEvent.ParentTraceContext), which travels with the instance's history, so the spans of every
/// replay, worker and restart land in one trace. Core's own TaskHubClient fills it in; this client must do the same.
/// </summary>
internal static class OrchestrationTracing
{
    /// <summary>
    /// A producer span "create_orchestration:{name}", or "create_orchestration:{name}@({version})" for a versioned
    /// orchestration (DurableTask.Core's own span names), under the current span (a new trace when there is none).
    /// </summary>
    public static Activity? StartCreate(string name, string? version, OrchestrationInstance instance)
    {
        var span = UrumiTelemetry.Source.StartActivity(
            string.IsNullOrEmpty(version) ? $"create_orchestration:{name}" : $"create_orchestration:{name}@({version})", ActivityKind.Producer);
        span?.SetTag("durabletask.type", "orchestration");
        span?.SetTag("durabletask.task.name", name);
        if (!string.IsNullOrEmpty(version))
        {
            span?.SetTag("durabletask.task.version", version);
        }
        span?.SetTag("durabletask.task.instance_id", instance.InstanceId);
        return span;
    }

    /// <summary>The context the orchestration's spans descend from: the create span, else the caller's, else none.</summary>
    public static DistributedTraceContext? ContextOf(Activity? span) =>
        (span ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C, Id: { } id } parent
            ? new DistributedTraceContext(id, parent.TraceStateString)
            : null;
}

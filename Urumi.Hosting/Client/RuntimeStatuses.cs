using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;

namespace Urumi.Hosting.Client;

/// <summary>
/// The rules about runtime statuses that the client applies: which are terminal (the only ones a purge removes),
/// which are live (an instance id in one of them cannot be scheduled again by default), and the mapping to
/// DurableTask.Core's statuses.
/// </summary>
public static class RuntimeStatuses
{
    /// <summary>Completed, Failed, Terminated: an instance in one of these never runs again unless restarted.</summary>
    public static IReadOnlySet<OrchestrationRuntimeStatus> Terminal { get; } = new HashSet<OrchestrationRuntimeStatus>
    {
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
    };

    /// <summary>
    /// Pending, Running, Suspended (and the transient ContinuedAsNew): the dedupe statuses used when a start names no
    /// DedupeStatuses, as Durable Functions refuses to start an instance id that is still running.
    /// </summary>
#pragma warning disable CS0618 // ContinuedAsNew is obsolete in the SDK but DurableTask.Core still reports it briefly.
    public static IReadOnlySet<OrchestrationRuntimeStatus> Live { get; } = new HashSet<OrchestrationRuntimeStatus>
    {
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.ContinuedAsNew,
    };
#pragma warning restore CS0618

    public static bool IsTerminal(OrchestrationRuntimeStatus status) => Terminal.Contains(status);

#pragma warning disable CS0618 // Canceled and ContinuedAsNew are obsolete in the SDK; the mapping still covers them.
    internal static OrchestrationRuntimeStatus FromCore(Core.OrchestrationStatus status) => status switch
    {
        Core.OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        Core.OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        Core.OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        Core.OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        Core.OrchestrationStatus.Canceled => OrchestrationRuntimeStatus.Canceled,
        Core.OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        Core.OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        Core.OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown DurableTask.Core status."),
    };

    internal static Core.OrchestrationStatus ToCore(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Running => Core.OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Completed => Core.OrchestrationStatus.Completed,
        OrchestrationRuntimeStatus.ContinuedAsNew => Core.OrchestrationStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Failed => Core.OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Canceled => Core.OrchestrationStatus.Canceled,
        OrchestrationRuntimeStatus.Terminated => Core.OrchestrationStatus.Terminated,
        OrchestrationRuntimeStatus.Pending => Core.OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Suspended => Core.OrchestrationStatus.Suspended,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown runtime status."),
    };
#pragma warning restore CS0618
}

using System.Runtime.CompilerServices;
using Urumi.Durable.Storage;

namespace Urumi.Durable.Worker;

/// <summary>The running worker of each task hub storage in this process, so a client on the same storage can start locally.</summary>
internal static class LocalWorkers
{
    private static readonly ConditionalWeakTable<ITaskHubStorage, DurableWorker> Workers = [];

    public static void Add(ITaskHubStorage storage, DurableWorker worker) => Workers.AddOrUpdate(storage, worker);

    public static void Remove(ITaskHubStorage storage, DurableWorker worker)
    {
        if (Workers.TryGetValue(storage, out var current) && ReferenceEquals(current, worker))
        {
            Workers.Remove(storage);
        }
    }

    /// <summary>True when this process's worker took the start; false when it must go through the control queue.</summary>
    public static bool TryStart(ITaskHubStorage storage, TaskMessage start) =>
        Workers.TryGetValue(storage, out var worker) && worker.TryStartLocally(start);
}

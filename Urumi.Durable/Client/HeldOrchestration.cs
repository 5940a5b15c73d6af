using Urumi.Durable.Storage;

namespace Urumi.Durable.Client;

/// <summary>
/// A new instance whose Pending row is written but whose start is held (<see cref="DurableTaskClient.HoldNewOrchestrationInstanceAsync"/>):
/// start it or discard it, once.
/// </summary>
public sealed class HeldOrchestration
{
    private readonly ITaskHubStorage _storage;
    private readonly InstanceRecord _record;
    private int _settled;

    internal HeldOrchestration(ITaskHubStorage storage, InstanceRecord record) => (_storage, _record) = (storage, record);

    public string InstanceId => _record.InstanceId;

    /// <summary>
    /// Starts it now: in this process's worker when it owns the instance's partition (no storage request), else by a
    /// control-queue message. A start sent by a recovery as well is dropped by the instance as a duplicate.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        Settle();
        Worker.FailPoints.Hit("client.beforeHeldStart");
        await DurableTaskClient.SendStartAsync(_storage, DurableTaskClient.StartMessage(_record with { ScheduledStartTime = null }), TimeSpan.Zero, mayStartHere: true, cancellation);
    }

    /// <summary>Removes the instance's row; it never runs unless a recovery already sent its start (only after the hold).</summary>
    public async Task DiscardAsync(CancellationToken cancellation = default)
    {
        Settle();
        await _storage.PurgeInstanceAsync(InstanceId, cancellation);
    }

    private void Settle()
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            throw new InvalidOperationException($"The held instance '{InstanceId}' was already started or discarded.");
        }
    }
}

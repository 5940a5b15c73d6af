using Microsoft.Extensions.Options;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;

namespace Urumi.Functions.Helm;

/// <summary>What wants to run helm on a release. <paramref name="Id"/> names the operation (a provisioning attempt's
/// instance id); <paramref name="Supersedes"/>: it replaces whatever runs there (an uninstall), instead of waiting for
/// an earlier run of the same operation.</summary>
public sealed record HelmOperation(string Release, string Namespace, string Id, bool Supersedes, TimeSpan HelmTimeout);

/// <summary>The release is held by this operation: its helm must stop when <see cref="Interrupt"/> fires, and report its pid.</summary>
public sealed record HeldRelease(CancellationToken Interrupt, Action<int> HelmStarted, HelmRelease? UnlockedFrom);

/// <summary>The release stayed held by another live helm for longer than the operation may wait.</summary>
public sealed class HelmReleaseBusyException(string message) : Exception(message);

/// <summary>
/// One helm per release, across processes, workers and control planes sharing a cluster. This is the one place
/// that decides who may run helm on a release and who may unlock a pending one.
/// <list type="bullet">
/// <item>The operation holds the release's <see cref="HelmLease"/> for as long as its helm runs, renewing it, and
/// records its own process and its helm's (host, pid, start time); it frees the lease when helm has exited.</item>
/// <item>A holder is alive when its process still runs (same host: checked by pid and start time) or, on another
/// host, while its lease is unexpired (a control plane's pod takes its helm with it when it dies).</item>
/// <item>A live holder of another operation (a terminated provisioning whose activity still runs, since a
/// Durable terminate does not stop activities; a provisioning being deleted; an earlier attempt) is asked to stop
/// through the lease; its renewal sees that within a second and interrupts its helm gracefully (helm marks the
/// release failed). A live holder of the same operation (an activity delivered again) is waited for. Either way the
/// newcomer waits, bounded by its helm timeout plus a lease duration, then fails as busy (a transient failure).</item>
/// <item>A dead holder's helm may survive it as an orphan (kill -9 of the control plane): on the same host it is
/// stopped (SIGTERM, then SIGKILL) and awaited before the lease is taken over.</item>
/// <item>Only a holder unlocks: a pending-install/pending-upgrade release is marked failed after the lease is taken,
/// when no other helm can be writing it.</item>
/// </list>
/// A control plane killed between starting helm and recording its pid (a few milliseconds) leaves an orphan this
/// cannot name; clocks of different hosts are assumed to agree within a lease duration.
/// </summary>
public sealed partial class ReleaseExclusion(ClusterConnection cluster, IOptions<UrumiOptions> options, TimeProvider time, ILogger<ReleaseExclusion> logger)
{
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    private TimeSpan Duration => options.Value.Helm.LeaseDuration;

    /// <summary>How often a holder looks for a stop request (and renews when a third of its lease has passed).</summary>
    private TimeSpan CheckInterval => TimeSpan.FromTicks(Math.Min(Duration.Ticks / 3, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>Runs <paramref name="helm"/> once it alone holds the release; frees the release when it returns.</summary>
    public async Task<T> RunAsync<T>(HelmOperation op, Func<HeldRelease, Task<T>> helm, CancellationToken ct)
    {
        var kubernetes = (await cluster.GetAsync()).Kubernetes;
        var leases = new HelmLease(kubernetes);
        var holder = new Holder(leases, op, Guid.NewGuid().ToString("N"));
        await AcquireAsync(holder, ct);
        using var interrupt = new CancellationTokenSource();
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewAsync(holder, interrupt, renewal.Token);
        try
        {
            var unlocked = await UnlockIfPendingAsync(new HelmReleaseStorage(kubernetes), op, ct);
            return await helm(new HeldRelease(interrupt.Token, pid => holder.RecordHelm(pid, time), unlocked));
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            await FreeAsync(holder);
        }
    }

    /// <summary>Asks whoever runs helm on the release to stop (any worker: the holder sees it on its next check); false when nobody holds it.</summary>
    public async Task<bool> RequestStopAsync(string release, string ns, string by, CancellationToken ct)
    {
        var leases = new HelmLease((await cluster.GetAsync()).Kubernetes);
        for (var i = 0; i < 5; i++)
        {
            var lease = await leases.ReadAsync(release, ns, ct);
            if (lease is null || lease.IsFree || lease.StopRequestedBy is not null)
            {
                return lease is { IsFree: false };
            }
            if (await leases.WriteAsync(release, ns, lease, lease with { StopRequestedBy = by }, ct) is not null)
            {
                StopRequested(logger, release, lease.Operation, lease.Host, lease.Pid, by);
                return true;
            }
        }
        return true;
    }

    private async Task AcquireAsync(Holder holder, CancellationToken ct)
    {
        var op = holder.Operation;
        var until = time.GetUtcNow() + op.HelmTimeout + Duration + OrphanGrace;
        while (true)
        {
            var lease = await holder.Leases.ReadAsync(op.Release, op.Namespace, ct);
            if (lease is null || lease.IsFree || !IsAlive(lease))
            {
                if (lease is { IsFree: false })
                {
                    await StopOrphanAsync(lease, ct);
                }
                if (await holder.TakeAsync(lease, Duration, time.GetUtcNow().UtcDateTime, ct))
                {
                    return;
                }
                continue;
            }
            if (lease.StopRequestedBy is null && (op.Supersedes || lease.Operation != op.Id))
            {
                await RequestStopAsync(op.Release, op.Namespace, op.Id, ct);
            }
            if (time.GetUtcNow() >= until)
            {
                throw new HelmReleaseBusyException($"release {op.Release} is still held by {lease.Operation} (host {lease.Host}, pid {lease.Pid}, helm pid {lease.HelmPid}); another helm runs on it");
            }
            Waiting(logger, op.Release, op.Id, lease.Operation, lease.Host, lease.Pid);
            await Task.Delay(CheckInterval, time, ct);
        }
    }

    private bool IsAlive(HelmLease.LeaseState lease) => lease.Host == LocalProcess.Host
        ? LocalProcess.IsRunning(lease.Pid, lease.PidStarted)
        : time.GetUtcNow().UtcDateTime < lease.RenewTime + lease.Duration;

    /// <summary>A dead holder's helm, when it runs on this host, is stopped and awaited: it may still write the release.</summary>
    private async Task StopOrphanAsync(HelmLease.LeaseState lease, CancellationToken ct)
    {
        if (lease.Host != LocalProcess.Host || lease.HelmPid is not { } pid || lease.HelmStarted is not { } started || !LocalProcess.IsRunning(pid, started))
        {
            return;
        }
        OrphanFound(logger, lease.Operation, pid, lease.Pid);
        if (!await LocalProcess.StopAsync(pid, started, OrphanGrace, time, ct))
        {
            throw new HelmReleaseBusyException($"the orphaned helm (pid {pid}) of {lease.Operation} did not exit");
        }
    }

    /// <summary>The one place a pending release is unlocked: its holder, once it holds the lease, so no helm can be writing it.</summary>
    private async Task<HelmRelease?> UnlockIfPendingAsync(HelmReleaseStorage storage, HelmOperation op, CancellationToken ct)
    {
        var before = await storage.LatestAsync(op.Release, op.Namespace, ct);
        if (before is not { IsLocked: true })
        {
            return null;
        }
        await storage.UnlockAsync(op.Release, op.Namespace, ct);
        ReleaseUnlocked(logger, op.Release, before.Revision, before.Status.ToString());
        return before;
    }

    /// <summary>While helm runs: looks for a stop request, renews the lease, records helm's pid; interrupts helm if the lease is lost.</summary>
    private async Task RenewAsync(Holder holder, CancellationTokenSource interrupt, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CheckInterval, time, stop);
                var now = time.GetUtcNow().UtcDateTime;
                var state = await holder.RenewAsync(now, Duration / 3, stop);
                if (state is null)
                {
                    LeaseLost(logger, holder.Operation.Release, holder.Operation.Id);
                    await interrupt.CancelAsync();
                    return;
                }
                if (state.StopRequestedBy is { } by && !interrupt.IsCancellationRequested)
                {
                    Interrupting(logger, holder.Operation.Release, holder.Operation.Id, by);
                    await interrupt.CancelAsync();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The API did not answer: helm cannot write either; the next check tries again.
                RenewFailed(logger, holder.Operation.Release, e.Message);
            }
        }
    }

    private async Task FreeAsync(Holder holder)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await holder.FreeAsync(time.GetUtcNow().UtcDateTime, Duration, timeout.Token);
        }
        catch (Exception e)
        {
            // Its process is alive but its helm has exited: the next operation waits until this holder's process ends or
            // its lease expires on another host; on this host it sees the freed lease once a later write succeeds.
            RenewFailed(logger, holder.Operation.Release, e.Message);
        }
    }

    /// <summary>This operation's hold on the lease: its writes go one at a time, each over what it read.</summary>
    private sealed class Holder(HelmLease leases, HelmOperation operation, string token)
    {
        private readonly SemaphoreSlim _writes = new(1, 1);
        private readonly Lock _pid = new();
        private (int Pid, DateTime Started)? _helm;
        private bool _helmRecorded = true;

        public HelmLease Leases => leases;

        public HelmOperation Operation => operation;

        public async Task<bool> TakeAsync(HelmLease.LeaseState? read, TimeSpan duration, DateTime now, CancellationToken ct)
        {
            var mine = new HelmLease.LeaseState(token, operation.Id, LocalProcess.Host, LocalProcess.CurrentPid, LocalProcess.CurrentStarted, null, null, now, duration, null);
            return await leases.WriteAsync(operation.Release, operation.Namespace, read, mine, ct) is not null;
        }

        /// <summary>Notes helm's pid (helm has just started) and writes it to the lease at once, in the background.</summary>
        public void RecordHelm(int pid, TimeProvider time)
        {
            lock (_pid)
            {
                _helm = (pid, LocalProcess.StartedAt(pid) ?? time.GetUtcNow().UtcDateTime);
                _helmRecorded = false;
            }
            _ = RenewAsync(time.GetUtcNow().UtcDateTime, TimeSpan.Zero, CancellationToken.None);
        }

        /// <summary>Renews when due (or when helm's pid is not written yet); the lease as read, or null when it is no longer this holder's.</summary>
        public async Task<HelmLease.LeaseState?> RenewAsync(DateTime now, TimeSpan due, CancellationToken ct)
        {
            await _writes.WaitAsync(ct);
            try
            {
                for (var i = 0; i < 5; i++)
                {
                    var current = await leases.ReadAsync(operation.Release, operation.Namespace, ct);
                    if (current is null || current.Token != token)
                    {
                        return null;
                    }
                    (int Pid, DateTime Started)? helm;
                    bool recorded;
                    lock (_pid)
                    {
                        (helm, recorded) = (_helm, _helmRecorded);
                    }
                    if (recorded && now - current.RenewTime < due)
                    {
                        return current;
                    }
                    var renewed = current with { RenewTime = now, HelmPid = helm?.Pid, HelmStarted = helm?.Started };
                    if (await leases.WriteAsync(operation.Release, operation.Namespace, current, renewed, ct) is { } written)
                    {
                        lock (_pid)
                        {
                            _helmRecorded = _helm == helm;
                        }
                        return written;
                    }
                }
                return await leases.ReadAsync(operation.Release, operation.Namespace, ct) is { } last && last.Token == token ? last : null;
            }
            finally
            {
                _writes.Release();
            }
        }

        public async Task FreeAsync(DateTime now, TimeSpan duration, CancellationToken ct)
        {
            await _writes.WaitAsync(ct);
            try
            {
                for (var i = 0; i < 5; i++)
                {
                    var current = await leases.ReadAsync(operation.Release, operation.Namespace, ct);
                    if (current is null || current.Token != token
                        || await leases.WriteAsync(operation.Release, operation.Namespace, current, HelmLease.LeaseState.Free(duration, now), ct) is not null)
                    {
                        return;
                    }
                }
            }
            finally
            {
                _writes.Release();
            }
        }
    }

    [LoggerMessage(4301, LogLevel.Warning, "Release {Release}: revision {Revision} was left {Status} by an interrupted helm; marked failed by its new holder so it can be retried")]
    private static partial void ReleaseUnlocked(ILogger logger, string release, int revision, string status);

    [LoggerMessage(4302, LogLevel.Information, "Release {Release}: {Operation} waits for {Holder} (host {Host}, pid {Pid}) to let go of it")]
    private static partial void Waiting(ILogger logger, string release, string operation, string holder, string host, int pid);

    [LoggerMessage(4303, LogLevel.Warning, "Release {Release}: asked {Holder} (host {Host}, pid {Pid}) to stop its helm for {By}")]
    private static partial void StopRequested(ILogger logger, string release, string holder, string host, int pid, string by);

    [LoggerMessage(4304, LogLevel.Warning, "Release {Release}: {Operation} interrupts its helm: {By} asked it to stop")]
    private static partial void Interrupting(ILogger logger, string release, string operation, string by);

    [LoggerMessage(4305, LogLevel.Warning, "The helm (pid {HelmPid}) of {Operation} outlived its control plane (pid {Pid}): stopping it before taking its release")]
    private static partial void OrphanFound(ILogger logger, string operation, int helmPid, int pid);

    [LoggerMessage(4306, LogLevel.Error, "Release {Release}: {Operation} lost its lease to another holder; interrupting its helm")]
    private static partial void LeaseLost(ILogger logger, string release, string operation);

    [LoggerMessage(4307, LogLevel.Warning, "Release {Release}: the lease could not be renewed or freed: {Error}")]
    private static partial void RenewFailed(ILogger logger, string release, string error);
}

using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Urumi.Functions.Cluster;
using Urumi.Functions.Configuration;
using Urumi.Functions.Helm;
using Urumi.Functions.Stores;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// The activities of the store lifecycle. Each one acts and is idempotent (running it twice leaves what running
/// it once does); none decides what happens next: that is the orchestrations' job. Failures come out as
/// <see cref="TransientStoreException"/> (retry) or <see cref="PermanentStoreException"/> (the reason to show).
/// </summary>
public sealed partial class StoreActivities(
    StoreRegistry registry,
    ClusterConnection cluster,
    HelmRunner helm,
    ReleaseExclusion exclusion,
    StoreCharts charts,
    ProvisioningMetrics metrics,
    DurableTaskClient durable,
    IOptions<UrumiOptions> options,
    TimeProvider time,
    ILogger<StoreActivities> logger)
{
    private UrumiOptions Options => options.Value;

    /// <summary>
    /// Applies an event to the store's row (<see cref="StoreLifecycle"/> decides what it does) and returns the store
    /// as it is now, with why the event changed nothing when it did not. Applying it twice is applying it once.
    /// </summary>
    [Function(nameof(ApplyStoreEvent))]
    public Task<StoreTransition> ApplyStoreEvent([ActivityTrigger] StoreChange change, CancellationToken ct) =>
        Guard(() => registry.ApplyAsync(change.Owner, change.StoreId, change.Event, time.GetUtcNow(), ct));

    /// <summary>Whether the POST that made the store holds its name and slot claims (for a first provisioning started by a recovery).</summary>
    [Function(nameof(HoldsClaims))]
    public async Task<bool> HoldsClaims([ActivityTrigger] StoreRequest r, CancellationToken ct)
    {
        var holds = await Guard(() => registry.HoldsClaimsAsync(r.Owner, r.Name, r.StoreId, ct));
        if (!holds)
        {
            ClaimsMissing(logger, r.StoreId);
        }
        return holds;
    }

    /// <summary>Of the gate's holders, those whose provisioning has ended (or does not exist): they hold a slot for nothing.</summary>
    [Function(nameof(FindEndedGateHolders))]
    public async Task<List<string>> FindEndedGateHolders([ActivityTrigger] List<string> holders, CancellationToken ct)
    {
        var ended = new List<string>();
        foreach (var holder in holders)
        {
            if (await durable.GetInstanceAsync(holder, cancellation: ct) is not { IsCompleted: false })
            {
                ended.Add(holder);
            }
        }
        if (ended.Count > 0)
        {
            GateHoldersEnded(logger, string.Join(", ", ended));
        }
        return ended;
    }

    /// <summary>
    /// The namespace (labels: managed-by, store id, owner, Pod Security), its ResourceQuota, LimitRange and
    /// deny-by-default NetworkPolicy (each applied idempotently), and the credentials Secret, created once: a retry
    /// must not change passwords a database already uses. A namespace of that name that is not this store's
    /// (<see cref="NamespaceOwnership"/>) fails the provisioning and is left as it is.
    /// </summary>
    [Function(nameof(PrepareNamespace))]
    public async Task PrepareNamespace([ActivityTrigger] StoreRequest r, CancellationToken ct)
    {
        using var measured = metrics.Measure(r.StoreId);
        var announced = Announce(r, StoreStep.Namespace, 10, "Creating the namespace, quota, limit range, network policy and credentials", ct);
        var kube = await StoreClusterAsync();
        try
        {
            await CreateOrRelabelNamespaceAsync(kube, r, ct);
        }
        catch
        {
            _ = announced.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
        await Task.WhenAll(
            announced,
            Guard(() => kube.ApplyResourceQuotaAsync(StoreResources.Quota(r.StoreId, StorePlans.Quota(r.Plan, Options.Plans)), ct)),
            Guard(() => kube.ApplyLimitRangeAsync(StoreResources.LimitRange(r.StoreId), ct)),
            Guard(() => kube.ApplyNetworkPolicyAsync(StoreResources.DefaultDeny(r.StoreId, Options.Cluster.IngressNamespace), ct)),
            CreateCredentialsAsync(kube, r, ct));
    }

    /// <summary>Creates the store's namespace, or relabels it when it is ours already (a retry); never another's.</summary>
    private async Task CreateOrRelabelNamespaceAsync(StoreCluster kube, StoreRequest r, CancellationToken ct)
    {
        var labels = StoreResources.NamespaceLabels(r);
        if (await Guard(() => kube.CreateNamespaceAsync(r.StoreId, labels, ct)))
        {
            return;
        }
        var existing = await Guard(() => kube.GetNamespaceAsync(r.StoreId, ct));
        switch (NamespaceOwnership.Of(existing, r.Target))
        {
            case Ownership.Missing:
                throw new TransientStoreException($"namespace {r.StoreId} was deleted while it was being created; trying again");
            case Ownership.Foreign:
                NamespaceNotOurs(logger, r.StoreId, nameof(PrepareNamespace));
                throw new PermanentStoreException(NamespaceOwnership.Refusal(r.StoreId));
        }
        if (existing!.Status?.Phase == "Terminating")
        {
            throw new TransientStoreException($"namespace {r.StoreId} is still being deleted (Terminating); waiting for it to go");
        }
        await Guard(() => kube.SetNamespaceLabelsAsync(existing, labels, ct));
    }

    /// <summary>
    /// The store's namespace for a step that works in it (install, rollout check): this store's, else the
    /// provisioning fails (<see cref="NamespaceOwnership"/>) and nothing in it is read or changed.
    /// </summary>
    private async Task<StoreCluster> OwnNamespaceAsync(StoreTarget store, string step, CancellationToken ct)
    {
        var kube = await StoreClusterAsync();
        switch (NamespaceOwnership.Of(await Guard(() => kube.GetNamespaceAsync(store.StoreId, ct)), store))
        {
            case Ownership.Missing:
                throw new PermanentStoreException($"namespace {store.StoreId} does not exist");
            case Ownership.Foreign:
                NamespaceNotOurs(logger, store.StoreId, step);
                throw new PermanentStoreException(NamespaceOwnership.Refusal(store.StoreId));
        }
        return kube;
    }

    /// <summary>The store's namespace for removing it (uninstall, delete, wait): null when there is none of ours.</summary>
    private async Task<(StoreCluster Kube, k8s.Models.V1Namespace? Namespace)> NamespaceToRemoveAsync(StoreTarget store, string step, CancellationToken ct)
    {
        var kube = await StoreClusterAsync();
        var ns = await Guard(() => kube.GetNamespaceAsync(store.StoreId, ct));
        var ownership = NamespaceOwnership.Of(ns, store);
        if (ownership == Ownership.Foreign)
        {
            NamespaceNotOurs(logger, store.StoreId, step);
        }
        return (kube, ownership == Ownership.Ours ? ns : null);
    }

    private async Task CreateCredentialsAsync(StoreCluster kube, StoreRequest r, CancellationToken ct)
    {
        if (!await Guard(() => kube.SecretExistsAsync(r.StoreId, StoreResources.SecretName(r.StoreId), ct)))
        {
            await Guard(() => kube.CreateSecretAsync(StoreResources.Credentials(r.StoreId, r.StoreId, r.Engine), ct));
        }
    }

    /// <summary>Shows the step the store is in (phase Provisioning) on its row.</summary>
    private async Task Announce(StoreRequest r, StoreStep step, int progress, string message, CancellationToken ct)
    {
        var transition = await Guard(() => registry.ApplyAsync(r.Owner, r.StoreId, new StoreEvent.StepStarted(r.Attempt, step, progress, message), time.GetUtcNow(), ct));
        if (transition.Applied && transition.Before is { Phase: StorePhase.Queued } queued)
        {
            metrics.SlotGranted(r.Engine, queued.UpdatedAt);
        }
    }

    /// <summary>
    /// `helm upgrade --install --wait` of the engine's chart, once this provisioning alone holds the release
    /// (<see cref="ReleaseExclusion"/>: an earlier attempt's helm still running, say after a terminate, is stopped
    /// first; a release it left pending is then marked failed, as Flux's helm-controller does). A rollout that does not
    /// become ready is diagnosed, and its cause is the error.
    /// </summary>
    [Function(nameof(InstallRelease))]
    public async Task<InstallOutcome> InstallRelease([ActivityTrigger] StoreRequest r, CancellationToken ct)
    {
        using var measured = metrics.Measure(r.StoreId);
        await OwnNamespaceAsync(r.Target, nameof(InstallRelease), ct);
        var announced = Announce(r, StoreStep.Install, 40, $"Installing the {r.Engine} chart with helm", ct);
        var session = await cluster.GetAsync();
        var install = charts.Install(r.StoreId, r.Engine, new Uri(r.Url).Host, Options.Helm.Timeout);
        var version = await helm.VersionAsync();
        var operation = new HelmOperation(r.StoreId, r.StoreId, Store.ProvisionInstanceId(r.StoreId, r.Attempt), Supersedes: false, Options.Helm.Timeout);
        // Helm starts while the row's step is being written; a failed write fails the activity once helm is done.
        try
        {
            return await Exclusively(operation, async held =>
            {
                var release = await helm.UpgradeInstallAsync(install, ct, held.Interrupt, held.HelmStarted);
                await announced;
                var unlockedFrom = held.UnlockedFrom?.Status.ToString();
                return new InstallOutcome(release.Revision, release.Status.ToString(), version.Text, unlockedFrom is not null, unlockedFrom);
            }, ct);
        }
        catch (HelmCommandException e)
        {
            throw await ClassifyAsync(e, r, session, ct);
        }
        finally
        {
            // On the failure paths the install's error is the one to report.
            _ = announced.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>Runs helm under the release's lease; a release held past the wait is a transient failure.</summary>
    private async Task<T> Exclusively<T>(HelmOperation operation, Func<HeldRelease, Task<T>> run, CancellationToken ct)
    {
        try
        {
            return await Guard(() => exclusion.RunAsync(operation, run, ct));
        }
        catch (HelmReleaseBusyException e)
        {
            throw new TransientStoreException(e.Message, e);
        }
    }

    /// <summary>
    /// Checks every Deployment, StatefulSet and Job of the namespace; when all are rolled out the store is marked
    /// Ready with its URLs, otherwise the cause of what is not ready is the error.
    /// </summary>
    [Function(nameof(VerifyRollout))]
    public async Task<string> VerifyRollout([ActivityTrigger] StoreRequest r, CancellationToken ct)
    {
        using (metrics.Measure(r.StoreId))
        {
            var kube = await OwnNamespaceAsync(r.Target, nameof(VerifyRollout), ct);
            var report = await WaitForCertificatesAsync(r, kube, ct);
            if (!report.Ready)
            {
                throw new PermanentStoreException($"the rollout did not become ready: {report.Summary}");
            }
            var admin = r.Url + (r.Engine == "woocommerce" ? "/wp-admin/" : "/app");
            await Guard(() => registry.ApplyAsync(r.Owner, r.StoreId, new StoreEvent.Ready(r.Attempt, r.Url, admin, report.Summary), time.GetUtcNow(), ct));
            metrics.Complete(r.StoreId, "Ready", r.Engine, r.RequestedAt);
            return report.Summary;
        }
    }

    /// <summary>
    /// The rollout verdict once nothing but a per-store certificate is missing, or Urumi:Helm:Timeout has passed
    /// since helm returned: cert-manager orders it after the Ingress exists, so the store stays Provisioning and
    /// its Reconciling condition says which Certificate it waits for and why.
    /// </summary>
    private async Task<RolloutReport> WaitForCertificatesAsync(StoreRequest r, StoreCluster kube, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + Options.Helm.Timeout;
        while (true)
        {
            var report = Rollout.Verify(await Guard(() => kube.SnapshotAsync(r.StoreId, ct)));
            var waitingForCertificates = !report.Ready && report.Problems.All(p => p.Reason == RolloutReasons.CertificateNotReady);
            if (!waitingForCertificates || time.GetUtcNow() >= deadline)
            {
                return report;
            }
            await Announce(r, StoreStep.Verify, 90, $"Waiting for TLS: {report.Summary}", ct);
            await Task.Delay(Options.Provisioning.PollInterval, time, ct);
        }
    }

    /// <summary>Interrupts the helm running on this store's release, in this process at once, on any worker through the release's lease.</summary>
    [Function(nameof(InterruptHelm))]
    public async Task<bool> InterruptHelm([ActivityTrigger] string storeId, CancellationToken ct)
    {
        var here = helm.Interrupt(storeId, storeId);
        return await Guard(() => exclusion.RequestStopAsync(storeId, storeId, "an interrupt of the provisioning", ct)) || here;
    }

    /// <summary>
    /// `helm uninstall`, once it alone holds the release (a helm still installing it is stopped first); a release that
    /// is not there is fine, and so is a namespace that is not this store's (untouched).
    /// </summary>
    [Function(nameof(UninstallRelease))]
    public async Task<bool> UninstallRelease([ActivityTrigger] StoreTarget store, CancellationToken ct)
    {
        using var measured = metrics.Measure(store.StoreId);
        if ((await NamespaceToRemoveAsync(store, nameof(UninstallRelease), ct)).Namespace is null)
        {
            return false;
        }
        var session = await cluster.GetAsync();
        var cli = await helm.CliAsync();
        var operation = new HelmOperation(store.StoreId, store.StoreId, $"uninstall of {store.StoreId}", Supersedes: true, Options.Helm.UninstallTimeout);
        try
        {
            return await Exclusively(operation, held => cli.UninstallAsync(store.StoreId, store.StoreId, Options.Helm.UninstallTimeout, ct, held.Interrupt, held.HelmStarted), ct);
        }
        catch (HelmCommandException e)
        {
            throw await ClassifyAsync(e, null, session, ct);
        }
    }

    /// <summary>Deletes the store's namespace (and so everything in it); false when there was none of this store's.</summary>
    [Function(nameof(DeleteNamespace))]
    public async Task<bool> DeleteNamespace([ActivityTrigger] StoreTarget store, CancellationToken ct)
    {
        using var measured = metrics.Measure(store.StoreId);
        var (kube, ns) = await NamespaceToRemoveAsync(store, nameof(DeleteNamespace), ct);
        return ns is not null && await Guard(() => kube.DeleteNamespaceAsync(ns, ct));
    }

    /// <summary>The store's namespace as delete sees it; one that is not this store's is not the store's: Gone.</summary>
    [Function(nameof(ReadNamespace))]
    public async Task<NamespaceState> ReadNamespace([ActivityTrigger] StoreTarget store, CancellationToken ct)
    {
        using var measured = metrics.Measure(store.StoreId);
        return StoreCluster.StateOf((await NamespaceToRemoveAsync(store, nameof(ReadNamespace), ct)).Namespace);
    }

    /// <summary>Whether an orchestration instance is still running (so delete can wait for a stopped provisioning).</summary>
    [Function(nameof(IsInstanceRunning))]
    public async Task<bool> IsInstanceRunning([ActivityTrigger] string instanceId, CancellationToken ct)
    {
        var instance = await durable.GetInstanceAsync(instanceId, cancellation: ct);
        return instance is { IsCompleted: false };
    }

    /// <summary>Records that a provisioning ended (and logs how much of it was helm and Kubernetes).</summary>
    [Function(nameof(ReportTimings))]
    public void ReportTimings([ActivityTrigger] StoreTimingReport report) =>
        metrics.Complete(report.StoreId, report.Outcome, report.Engine ?? "", report.RequestedAt);

    private async Task<StoreCluster> StoreClusterAsync() => new((await cluster.GetAsync()).Kubernetes);


    /// <summary>Why helm failed, as a retry decision: interrupted, locked or cut off from the cluster is transient.</summary>
    private async Task<Exception> ClassifyAsync(HelmCommandException e, StoreRequest? r, ClusterSession session, CancellationToken ct)
    {
        var error = e.StandardError;
        var kube = new StoreCluster(session.Kubernetes);
        if (e.ExitCode is < 0 or > 128 || string.IsNullOrWhiteSpace(error))
        {
            return new TransientStoreException($"helm was interrupted (exit code {e.ExitCode}); the release is unlocked and retried", e);
        }
        if (error.Contains("another operation (install/upgrade/rollback) is in progress", StringComparison.Ordinal))
        {
            return new TransientStoreException("the release is locked by another helm operation; it is unlocked and retried", e);
        }
        if (!await kube.AnswersAsync(ct) || error.Contains("connection refused", StringComparison.Ordinal) || error.Contains("the server is currently unable", StringComparison.Ordinal)
            || error.Contains("Too Many Requests", StringComparison.OrdinalIgnoreCase) || error.Contains("i/o timeout", StringComparison.Ordinal))
        {
            return new TransientStoreException($"the cluster did not answer helm: {FirstLine(error)}", e);
        }
        if (r is not null)
        {
            var report = Rollout.Verify(await Guard(() => kube.SnapshotAsync(r.StoreId, ct)));
            if (!report.Ready)
            {
                return new PermanentStoreException($"the rollout did not become ready within {Options.Helm.Timeout}: {report.Summary}", e);
            }
        }
        return new PermanentStoreException($"helm failed: {FirstLine(error)}", e);
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    /// <summary>Runs a Kubernetes or storage call, turning the failures worth retrying into <see cref="TransientStoreException"/>.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not (TransientStoreException or PermanentStoreException) && (ClusterErrors.IsTransient(e) || e is Azure.RequestFailedException { Status: 0 or 408 or 429 or >= 500 }))
        {
            throw new TransientStoreException($"the cluster or storage did not answer: {e.Message}", e);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new PermanentStoreException($"the Kubernetes API refused: {(int)e.Response.StatusCode} {e.Response.Content}", e);
        }
    }

    private static Task Guard(Func<Task> call) => Guard(async () =>
    {
        await call();
        return true;
    });

    [LoggerMessage(4003, LogLevel.Warning, "Store {StoreId}: its provisioning was started by a recovery, but the request that made it holds no claims (it was refused, or died before claiming): nothing is recorded or provisioned")]
    private static partial void ClaimsMissing(ILogger logger, string storeId);

    [LoggerMessage(4004, LogLevel.Warning, "Store {StoreId}: a namespace of that name exists that is not this store's (labels of another store or owner, or not urumi's); {Step} left it as it is")]
    private static partial void NamespaceNotOurs(ILogger logger, string storeId, string step);

    [LoggerMessage(4002, LogLevel.Warning, "Provisioning gate: {Holders} ended without releasing their slot (terminated by hand?); their slots are free again")]
    private static partial void GateHoldersEnded(ILogger logger, string holders);
}

public sealed record StoreTimingReport(string StoreId, string Outcome, string? Engine = null, DateTimeOffset RequestedAt = default);

using System.Globalization;
using System.Text.Json.Nodes;
using Urumi.KubeSim.Api;
using Urumi.KubeSim.Store;

namespace Urumi.KubeSim.Controllers;

/// <summary>
/// Job -> pods until spec.completions succeed (Complete), or more than backoffLimit fail (Failed, BackoffLimitExceeded);
/// ttlSecondsAfterFinished removes finished Jobs.
/// </summary>
internal sealed class JobController(Cluster cluster, WorkQueue queue) : Controller(cluster, queue)
{
    public override string Name => "job-controller";

    public override void OnEvent(WatchEvent e) => EnqueueForPodOwner(e, ResourceCatalog.Jobs);

    public override void Reconcile(WorkKey key)
    {
        var job = Cluster.Store.Get(ResourceCatalog.Jobs, key.Namespace, key.Name);
        if (job is null || IsDeleting(job))
        {
            return;
        }

        var spec = job["spec"]!.AsObject();
        if (Finished(job) is { } finishedAt)
        {
            if (spec["ttlSecondsAfterFinished"] is { } ttlNode)
            {
                var due = finishedAt + TimeSpan.FromSeconds(Int(ttlNode));
                if (Cluster.Time.GetUtcNow() >= due)
                {
                    Cluster.Delete(ResourceCatalog.Jobs, key.Namespace, key.Name, new JsonObject { ["propagationPolicy"] = "Background" }, Actor);
                }
                else
                {
                    Enqueue(ResourceCatalog.Jobs, key.Namespace, key.Name, due - Cluster.Time.GetUtcNow());
                }
            }

            return;
        }

        var completions = Int(spec["completions"], 1);
        var parallelism = Int(spec["parallelism"], 1);
        var backoffLimit = Int(spec["backoffLimit"], 6);
        var pods = OwnedPods(job);
        var succeeded = pods.Count(p => (string?)p["status"]?["phase"] == "Succeeded");
        var failed = pods.Count(p => (string?)p["status"]?["phase"] == "Failed");
        var active = pods.Where(IsPodActive).ToList();
        string? failure = null;
        var suspended = (bool?)spec["suspend"] == true;
        var failedJob = failed > backoffLimit;
        if (!suspended && !failedJob && succeeded < completions)
        {
            var wanted = Math.Min(parallelism, completions - succeeded) - active.Count;
            for (var i = 0; i < wanted && failure is null; i++)
            {
                var pod = PodFromTemplate(spec["template"]!.AsObject(), OwnerReference(ResourceCatalog.Jobs, job), null, key.Name + "-");
                failure = TryCreatePod(ResourceCatalog.Jobs, job, pod, "Error creating: ");
            }
        }

        if (failedJob)
        {
            foreach (var pod in active)
            {
                Cluster.Delete(ResourceCatalog.Pods, key.Namespace, NameOf(pod), null, Actor);
            }
        }

        active = OwnedPods(job).Where(IsPodActive).ToList();
        var complete = succeeded >= completions;
        var now = Cluster.Now();
        Cluster.Mutate(ResourceCatalog.Jobs, key.Namespace, key.Name, j =>
        {
            var status = j["status"] as JsonObject ?? (JsonObject)(j["status"] = new JsonObject());
            status["startTime"] ??= now;
            SetCount(status, "active", active.Count);
            SetCount(status, "succeeded", succeeded);
            SetCount(status, "failed", failed);
            status["ready"] = active.Count(IsPodReady);
            status["terminating"] = 0;
            status["uncountedTerminatedPods"] = new JsonObject();
            if (complete)
            {
                SetCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods");
                SetCondition(status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods");
                status["completionTime"] = now;
            }
            else if (failedJob)
            {
                SetCondition(status, "FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
                SetCondition(status, "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
            }
        }, Actor);

        if (complete)
        {
            RecordEvent(ResourceCatalog.Jobs, job, "Normal", "Completed", "Job completed");
            if (spec["ttlSecondsAfterFinished"] is not null)
            {
                Enqueue(ResourceCatalog.Jobs, key.Namespace, key.Name, TimeSpan.FromSeconds(Int(spec["ttlSecondsAfterFinished"])));
            }
        }
        else if (failedJob)
        {
            RecordEvent(ResourceCatalog.Jobs, job, "Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }

        if (failure is not null)
        {
            Enqueue(ResourceCatalog.Jobs, key.Namespace, key.Name, Options.RetryInterval);
        }
    }

    private static DateTimeOffset? Finished(JsonObject job)
    {
        var finished = (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(c => (string?)c["type"] is "Complete" or "Failed" && (string?)c["status"] == "True");
        return finished is null ? null
            : DateTimeOffset.TryParse((string?)finished["lastTransitionTime"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue;
    }
}

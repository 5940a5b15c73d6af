using System.Diagnostics;
using Urumi.Functions.Helm;
using Urumi.Hosting.Telemetry;

namespace Urumi.Functions.Telemetry;

/// <summary>What a helm run is about, for its span and metrics: the verb and the release, namespace and chart it acts on.</summary>
public sealed record HelmCall(string Verb, string? Release = null, string? Namespace = null, string? Chart = null);

/// <summary>
/// One span per helm run ("helm {verb}") and its metrics. Attributes name only the verb, release, namespace, chart
/// (its folder name), exit code and failure reason: never the arguments (--set values), the environment (the
/// kubeconfig) or helm's output.
/// </summary>
public static class HelmTelemetry
{
    public static Activity? Start(HelmCall call)
    {
        var span = UrumiTelemetry.Source.StartActivity($"helm {call.Verb}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("helm.command", call.Verb);
            span.SetTag("helm.release", call.Release);
            span.SetTag("helm.namespace", call.Namespace);
            span.SetTag("helm.chart", call.Chart is null ? null : Path.GetFileName(call.Chart.TrimEnd('/', '\\')));
        }
        return span;
    }

    /// <summary>Ends the span and records the run; <paramref name="exitCode"/> is null when helm was cancelled.</summary>
    public static void Stop(Activity? span, HelmCall call, TimeSpan elapsed, int? exitCode, string standardError)
    {
        var failure = exitCode switch
        {
            0 => (HelmFailureReason?)null,
            null => HelmFailureReason.Interrupted,
            _ => HelmFailureReasons.Of(exitCode.Value, standardError),
        };
        var outcome = failure is null ? "succeeded" : "failed";
        UrumiMetrics.HelmDuration.Record(elapsed.TotalSeconds, UrumiMetrics.Tag("command", call.Verb), UrumiMetrics.Tag("outcome", outcome));
        if (failure is { } reason)
        {
            UrumiMetrics.HelmFailures.Add(1, UrumiMetrics.Tag("command", call.Verb), UrumiMetrics.Tag("reason", reason.ToString()));
        }
        if (span is null)
        {
            return;
        }
        if (exitCode is { } code)
        {
            span.SetTag("process.exit.code", code);
        }
        if (failure is { } why)
        {
            span.SetTag("helm.failure_reason", why.ToString());
            span.SetStatus(ActivityStatusCode.Error, why.ToString());
        }
        span.Dispose();
    }
}

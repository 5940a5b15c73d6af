using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Urumi.Hosting.Telemetry;

/// <summary>
/// An Azure SDK pipeline policy that records each storage request's latency (each try, so retries show) in
/// urumi.storage.request.duration, by service (blob, queue, table), method and status code. It records no URL:
/// the account name and SAS tokens stay out of the metric.
/// </summary>
public sealed class StorageLatencyPolicy(string service) : HttpPipelinePolicy
{
    public static readonly Histogram<double> Duration = UrumiTelemetry.Meter.CreateHistogram<double>(
        "urumi.storage.request.duration", "s", "Latency of the control plane's requests to Azure Storage, per try.");

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            Record(message, started);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        finally
        {
            Record(message, started);
        }
    }

    private void Record(HttpMessage message, long started) => Duration.Record(
        Stopwatch.GetElapsedTime(started).TotalSeconds,
        new KeyValuePair<string, object?>("service", service),
        new KeyValuePair<string, object?>("method", message.Request.Method.Method),
        new KeyValuePair<string, object?>("status", message.HasResponse ? message.Response.Status : 0));

    /// <summary>Adds the policy to a storage client's options, per try.</summary>
    public static T AddTo<T>(T options, string service) where T : ClientOptions
    {
        options.AddPolicy(new StorageLatencyPolicy(service), HttpPipelinePosition.PerRetry);
        return options;
    }
}

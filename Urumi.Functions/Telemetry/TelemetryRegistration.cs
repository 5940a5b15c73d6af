using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Urumi.Hosting.Telemetry;

namespace Urumi.Functions.Telemetry;

/// <summary>
/// OpenTelemetry for both hosts: traces (incoming HTTP, the orchestrations, activities and timers DurableTask.Core
/// emits, Kubernetes and storage calls made inside them, helm runs), metrics (the "Urumi" Meter, ASP.NET Core and
/// HttpClient) and logs. Exported with OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables
/// configure it); metrics also on /metrics in Prometheus' format when Urumi:Telemetry:Prometheus is true.
/// </summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "urumi-control-plane";
    public const string DurableTaskSource = "DurableTask.Core";

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.Section));
        services.AddSingleton<StoreCounts>();
        services.AddHostedService<StoreGauges>();
        // Every log line carries the trace and span it was written in (the console shows them as a scope).
        services.Configure<LoggerFactoryOptions>(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithMetrics(m => m
                .AddMeter(UrumiTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        // Spans are recorded only when they go somewhere: without an OTLP endpoint nothing listens to the sources.
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(t => t
                    .SetSampler(new ParentBasedSampler(new UntracedClientCallsDropped()))
                    .AddSource(UrumiTelemetry.Name, DurableTaskSource)
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsScrape(context.Request.Path))
                    .AddHttpClientInstrumentation())
                .WithLogging()
                .UseOtlpExporter();
        }
        if (configuration.GetValue<bool>($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Prometheus)}"))
        {
            telemetry.WithMetrics(m => m.AddPrometheusExporter());
            services.AddSingleton<IStartupFilter, PrometheusEndpoint>();
        }
        return services;
    }

    private static bool IsScrape(PathString path) => path.StartsWithSegments("/metrics");

    /// <summary>/metrics on the self-host's pipeline (the Functions host path has no such route: use OTLP there).</summary>
    private sealed class PrometheusEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint();
            next(app);
        };
    }

    /// <summary>
    /// Outgoing calls that belong to no trace (DurableTask.AzureStorage polling its queues and renewing its leases,
    /// many a second) would each be a trace of one span: they are dropped. Calls made inside a trace are kept by the
    /// parent-based sampler around this one.
    /// </summary>
    private sealed class UntracedClientCallsDropped : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            new(samplingParameters.Kind == System.Diagnostics.ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
    }

    /// <summary>Creates the stores-by-phase gauges once the app starts.</summary>
    private sealed class StoreGauges(StoreCounts counts) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            UrumiMetrics.ObserveStores(counts);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

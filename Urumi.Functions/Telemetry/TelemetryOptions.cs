namespace Urumi.Functions.Telemetry;

/// <summary>Urumi:Telemetry. Exporting with OTLP is switched on by the standard OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Urumi:Telemetry";

    /// <summary>Serve the metrics in Prometheus' text format on /metrics (self-host only; anonymous, as /health).</summary>
    public bool Prometheus { get; set; }

    /// <summary>How old the stores-by-phase snapshot may be before a collection reads the registry again.</summary>
    public TimeSpan StoreCountInterval { get; set; } = TimeSpan.FromSeconds(30);
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Urumi.Hosting.Telemetry;

/// <summary>
/// The control plane's one ActivitySource and one Meter, both named "Urumi". The instruments on the Meter are defined
/// next to what they measure: storage here, the store lifecycle and helm in Urumi.Functions/Telemetry.
/// </summary>
public static class UrumiTelemetry
{
    public const string Name = "Urumi";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);
}

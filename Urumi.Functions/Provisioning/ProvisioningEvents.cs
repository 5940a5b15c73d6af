using Urumi.Hosting.Management;

namespace Urumi.Functions.Provisioning;

/// <summary>
/// The external events the provisioning orchestrations wait for and the payload type each reads. The self-host's
/// management API (raiseEvent) refuses a payload that type cannot be read from, instead of passing it to an
/// orchestration that would fail where it waits.
/// </summary>
public static class ProvisioningEvents
{
    public static KnownEvents Known { get; } = new KnownEvents()
        .Add<bool>(nameof(ProvisionStore), ProvisioningGate.GrantedEvent)
        .Add<CancelRequest>(nameof(ProvisionStore), ProvisionStore.CancelEvent)
        .Add<string>(nameof(DeleteStore), ProvisionStore.StoppedEvent)
        .Add<GateSignal>(nameof(ProvisioningGate), ProvisioningGate.SignalEvent);
}

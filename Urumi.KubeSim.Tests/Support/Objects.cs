using k8s.Models;

namespace Urumi.KubeSim.Tests.Support;

/// <summary>Objects several tests create.</summary>
internal static class Objects
{
    /// <summary>A LimitRange named "defaults" giving containers default limits and requests, and optionally a maximum cpu.</summary>
    public static V1LimitRange ContainerDefaults(string cpuLimit, string memoryLimit, string cpuRequest, string memoryRequest, string? maxCpu = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "defaults" },
        Spec = new V1LimitRangeSpec
        {
            Limits =
            [
                new V1LimitRangeItem
                {
                    Type = "Container",
                    DefaultProperty = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuLimit), ["memory"] = new(memoryLimit) },
                    DefaultRequest = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuRequest), ["memory"] = new(memoryRequest) },
                    Max = maxCpu is null ? null : new Dictionary<string, ResourceQuantity> { ["cpu"] = new(maxCpu) },
                },
            ],
        },
    };
}

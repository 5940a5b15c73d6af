using System.Text;

namespace Urumi.Durable.Storage;

/// <summary>Maps an instance id to its control-queue partition (FNV-1a, stable across processes and versions).</summary>
public static class PartitionHash
{
    public static int Of(string instanceId, int partitionCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(instanceId))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return (int)(hash % (uint)partitionCount);
    }
}

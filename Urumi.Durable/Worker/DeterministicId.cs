using System.Security.Cryptography;
using System.Text;

namespace Urumi.Durable.Worker;

/// <summary>Ids derived from history positions, so that a message re-sent after a crash carries the same id.</summary>
internal static class DeterministicId
{
    public static string ExecutionIdFor(string seed) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, 16)).ToString("N");

    public static string Message(string instanceId, string? executionId, string kind, int eventId) =>
        $"{instanceId}|{executionId}|{kind}|{eventId}";
}

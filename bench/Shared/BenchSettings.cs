using System.Globalization;
using Microsoft.Extensions.Configuration;
using Urumi.Hosting.Configuration;

namespace Urumi.Bench;

/// <summary>The machine's load average (1, 5 and 15 minutes), as /proc/loadavg gives it.</summary>
internal static class LoadAverage
{
    public static string Read() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}

/// <summary>
/// The durable settings an app runs with: the host.json in its content root and the bench's overrides (environment
/// variable names), bound as the app binds them (Urumi.Hosting's defaults for what neither sets).
/// </summary>
internal static class EffectiveSettings
{
    public static Dictionary<string, string> Of(string contentRoot, IDictionary<string, string> appSettings)
    {
        var configuration = new ConfigurationManager();
        FunctionsHostConfiguration.AddHostJson(configuration, contentRoot);
        configuration.AddInMemoryCollection(appSettings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)));
        var options = configuration.GetSection(DurableTaskHubOptions.Section).Get<DurableTaskHubOptions>() ?? new DurableTaskHubOptions();
        var storage = options.StorageProvider;
        string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
        return new Dictionary<string, string>
        {
            ["partitionCount"] = storage.PartitionCount.ToString(CultureInfo.InvariantCulture),
            ["maxQueuePollingInterval"] = Seconds(storage.MaxQueuePollingInterval),
            ["controlQueueVisibilityTimeout"] = Seconds(storage.ControlQueueVisibilityTimeout),
            ["workItemQueueVisibilityTimeout"] = Seconds(storage.WorkItemQueueVisibilityTimeout),
            ["controlQueueBatchSize"] = storage.ControlQueueBatchSize.ToString(CultureInfo.InvariantCulture),
            ["maxConcurrentOrchestratorFunctions"] = options.MaxConcurrentOrchestratorFunctions.ToString(CultureInfo.InvariantCulture),
            ["maxConcurrentActivityFunctions"] = options.MaxConcurrentActivityFunctions.ToString(CultureInfo.InvariantCulture),
            ["leaseInterval"] = Seconds(storage.LeaseInterval),
            ["leaseAcquireInterval"] = Seconds(storage.LeaseAcquireInterval),
            ["partitionManagement"] = storage.UseTablePartitionManagement ? "table" : "blob",
            ["controlQueueBufferThreshold"] = storage.ControlQueueBufferThreshold.ToString(CultureInfo.InvariantCulture),
            ["extendedSessions"] = options.ExtendedSessionsEnabled ? $"on, idle timeout {options.ExtendedSessionIdleTimeoutInSeconds} s" : "off",
        };
    }
}

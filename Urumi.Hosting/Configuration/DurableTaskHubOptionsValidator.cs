using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Urumi.Hosting.Configuration;

/// <summary>Checks the durable settings at start: one message per bad setting, naming it as host.json does.</summary>
public sealed partial class DurableTaskHubOptionsValidator : IValidateOptions<DurableTaskHubOptions>
{
    private const string Prefix = "extensions:durableTask:";
    private const string Storage = Prefix + "storageProvider:";

    // A worker renews a running activity's message every 5 s: a visibility timeout must leave room for one missed renewal.
    private static readonly TimeSpan _minimumVisibility = TimeSpan.FromSeconds(10);

    public ValidateOptionsResult Validate(string? name, DurableTaskHubOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static IEnumerable<string> Problems(DurableTaskHubOptions options)
    {
        if (!HubName().IsMatch(options.HubName ?? ""))
        {
            yield return $"{Prefix}hubName '{options.HubName}' must be 3 to 45 letters and digits, starting with a letter "
                + "(it names Azure queues, tables and containers)";
        }
        if (options.MaxConcurrentActivityFunctions < 1)
        {
            yield return $"{Prefix}maxConcurrentActivityFunctions must be at least 1 (is {options.MaxConcurrentActivityFunctions})";
        }
        if (options.MaxConcurrentOrchestratorFunctions < 1)
        {
            yield return $"{Prefix}maxConcurrentOrchestratorFunctions must be at least 1 (is {options.MaxConcurrentOrchestratorFunctions})";
        }
        if (options.ExtendedSessionIdleTimeoutInSeconds is < 1 or > 600)
        {
            yield return $"{Prefix}extendedSessionIdleTimeoutInSeconds must be between 1 and 600 (is {options.ExtendedSessionIdleTimeoutInSeconds})";
        }
        foreach (var problem in StorageProblems(options.StorageProvider))
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> StorageProblems(AzureStorageProviderOptions storage)
    {
        if (string.IsNullOrWhiteSpace(storage.ConnectionString))
        {
            yield return $"{Storage}connectionName names the setting '{storage.ConnectionName}', which is not set: "
                + "give it a storage connection string (UseDevelopmentStorage=true for Azurite)";
        }
        if (storage.PartitionCount is < 1 or > 16)
        {
            yield return $"{Storage}partitionCount must be between 1 and 16 (is {storage.PartitionCount})";
        }
        if (storage.ControlQueueBatchSize is < 1 or > 32)
        {
            yield return $"{Storage}controlQueueBatchSize must be between 1 and 32, Azure Queues' largest read (is {storage.ControlQueueBatchSize})";
        }
        if (storage.ControlQueueBufferThreshold is < 1 or > 1000)
        {
            yield return $"{Storage}controlQueueBufferThreshold must be between 1 and 1000 (is {storage.ControlQueueBufferThreshold})";
        }
        if (storage.MaxQueuePollingInterval <= TimeSpan.Zero || storage.MaxQueuePollingInterval > TimeSpan.FromMinutes(10))
        {
            yield return $"{Storage}maxQueuePollingInterval must be more than 0 and at most 00:10:00 (is {storage.MaxQueuePollingInterval})";
        }
        foreach (var (setting, value) in new[]
        {
            ("controlQueueVisibilityTimeout", storage.ControlQueueVisibilityTimeout),
            ("workItemQueueVisibilityTimeout", storage.WorkItemQueueVisibilityTimeout),
        })
        {
            if (value < _minimumVisibility || value > TimeSpan.FromHours(1))
            {
                yield return $"{Storage}{setting} must be between {_minimumVisibility} and 01:00:00 (is {value})";
            }
        }
        foreach (var problem in LeaseProblems(storage))
        {
            yield return problem;
        }
        if (string.IsNullOrWhiteSpace(storage.WorkerId))
        {
            yield return $"{Storage}workerId must not be empty: it names this process in partition leases";
        }
    }

    private static IEnumerable<string> LeaseProblems(AzureStorageProviderOptions storage)
    {
        if (storage.LeaseRenewInterval <= TimeSpan.Zero || storage.LeaseRenewInterval >= storage.LeaseInterval)
        {
            yield return $"{Storage}leaseRenewInterval must be more than 0 and less than leaseInterval {storage.LeaseInterval}, "
                + $"or leases expire while held (is {storage.LeaseRenewInterval})";
        }
        if (storage.LeaseAcquireInterval <= TimeSpan.Zero || storage.LeaseAcquireInterval >= storage.LeaseInterval)
        {
            yield return $"{Storage}leaseAcquireInterval must be more than 0 and less than leaseInterval {storage.LeaseInterval}, "
                + $"or table leases expire while held (is {storage.LeaseAcquireInterval})";
        }
        if (storage.LeaseInterval < TimeSpan.FromSeconds(5) || storage.LeaseInterval > TimeSpan.FromMinutes(5))
        {
            yield return $"{Storage}leaseInterval must be between 00:00:05 and 00:05:00 (is {storage.LeaseInterval})";
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    private static partial Regex HubName();
}

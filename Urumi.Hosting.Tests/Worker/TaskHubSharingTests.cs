using Azure.Data.Tables;
using Urumi.Testing;

namespace Urumi.Hosting.Tests.Worker;

public sealed class TaskHubSharingTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Two_workers_in_one_machine_share_a_task_hubs_partitions_under_their_own_worker_ids()
    {
        var hub = DurableWorkerHost.NewHubName();
        await using var first = await DurableWorkerHost.StartAsync(_azurite, hub);
        await using var second = await DurableWorkerHost.StartAsync(_azurite, hub);
        var partitions = new TableClient(_azurite.ConnectionString, $"{hub}Partitions");

        var owners = await Eventually.Until(
            () => OwnersAsync(partitions),
            o => o.Count == 2 && o.Distinct().Count() == 2 && o.All(owner => !string.IsNullOrEmpty(owner)),
            TimeSpan.FromSeconds(60),
            "each worker to own one of the two partitions");
        var instance = await second.StartAsync(nameof(TestOrchestrations.FanOutFanIn), 5);

        Assert.All(owners, o => Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", o));
        Assert.Equal(55, await first.OutputAsync<long>(instance));
    }

    private static async Task<List<string?>> OwnersAsync(TableClient partitions)
    {
        var owners = new List<string?>();
        try
        {
            await foreach (var partition in partitions.QueryAsync<TableEntity>())
            {
                owners.Add(partition.GetString("CurrentOwner"));
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // The workers create the table as they start.
        }
        return owners;
    }
}

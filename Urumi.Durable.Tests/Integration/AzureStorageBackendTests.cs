using Azure.Data.Tables;
using Urumi.Durable.Client;
using Urumi.Durable.History;
using Urumi.Durable.Storage;
using Urumi.Durable.Storage.AzureStorage;
using Urumi.Durable.Tests.Engine;
using Urumi.Durable.Testing;
using Urumi.Durable.Tests.Support;

namespace Urumi.Durable.Tests.Integration;

/// <summary>The engine on the Azure Storage backend, against the pinned Azurite.</summary>
public sealed class AzureStorageBackendTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;
    private AzureTaskHubStorage _storage = null!;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        _storage = new AzureTaskHubStorage(_azurite.ConnectionString, "BackendHub", 4, TimeSpan.FromSeconds(15));
        _host = await TestHost.StartAsync([typeof(TestFunctions)], _storage);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task A_sequence_completes_on_Azure_Storage_in_the_DurableTask_layout()
    {
        var result = await _host.RunAsync("Sequence", instanceId: "layout/1#?");

        Assert.Equal(5, result.ReadOutputAs<List<string>>()!.Count);
        var tables = new TableServiceClient(_azurite.ConnectionString);
        var names = new List<string>();
        await foreach (var t in tables.QueryAsync())
        {
            names.Add(t.Name);
        }
        Assert.Contains("BackendHubInstances", names);
        Assert.Contains("BackendHubHistory", names);
        var history = tables.GetTableClient("BackendHubHistory");
        var rows = new List<TableEntity>();
        await foreach (var row in history.QueryAsync<TableEntity>(e => e.PartitionKey == AzureStorageNames.Key("layout/1#?")))
        {
            rows.Add(row);
        }
        Assert.Contains(rows, r => r.RowKey == "sentinel");
        Assert.Contains(rows, r => r.RowKey == "0000000000000000" && r.GetString("EventType") == "OrchestratorStarted");
    }

    [Fact]
    public async Task A_one_megabyte_input_round_trips_through_blob_offload()
    {
        var big = new string('x', 1024 * 1024);

        var result = await _host.RunAsync("Echo", big, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(big, result.ReadOutputAs<string>());
        Assert.Equal(big, result.ReadInputAs<string>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.Equal($"\"{big}\"", history.Single(e => e.EventType == EventType.TaskCompleted).Result);
    }

    [Fact]
    public async Task A_second_append_from_the_same_basis_is_rejected_by_the_sentinel_etag()
    {
        var id = "conflict-" + Guid.NewGuid().ToString("N");
        var started = new HistoryEvent { EventType = EventType.ExecutionStarted, Name = "x", ExecutionId = "e1", Timestamp = DateTime.UtcNow };
        var first = await _storage.AppendHistoryAsync(id, HistorySnapshot.Empty, [started], false, [], default);

        await _storage.AppendHistoryAsync(id, first, [new HistoryEvent { EventType = EventType.OrchestratorStarted }], false, [], default);

        await Assert.ThrowsAsync<HistoryConflictException>(() => _storage.AppendHistoryAsync(id, first, [new HistoryEvent { EventType = EventType.OrchestratorStarted }], false, [], default));
        await Assert.ThrowsAsync<HistoryConflictException>(() => _storage.AppendHistoryAsync(id, HistorySnapshot.Empty, [started], false, [], default));
        Assert.Equal(2, (await _storage.ReadHistoryAsync(id, default)).Events.Count);
    }

    [Fact]
    public async Task The_unsent_messages_an_append_lists_are_read_back_until_an_append_lists_none()
    {
        var id = "unsent-" + Guid.NewGuid().ToString("N");
        var started = new HistoryEvent { EventType = EventType.ExecutionStarted, Name = "x", ExecutionId = "e1", Timestamp = DateTime.UtcNow };
        var timer = new TaskMessage("timer-1", id, "e1", new HistoryEvent { EventType = EventType.TimerFired, TaskScheduledId = 0, FireAt = DateTime.UtcNow.AddMinutes(5) });
        var ping = new TaskMessage("event-1", "other", null, new HistoryEvent { EventType = EventType.EventRaised, Name = "Go", Input = "\"ping\"" });

        var first = await _storage.AppendHistoryAsync(id, HistorySnapshot.Empty, [started], false, [timer, ping], default);
        var read = await _storage.ReadHistoryAsync(id, default);
        var second = await _storage.AppendHistoryAsync(id, read, [new HistoryEvent { EventType = EventType.OrchestratorStarted }], false, [], default);

        Assert.Equal(["timer-1", "event-1"], first.Unsent.Select(m => m.Id));
        Assert.Equal(["timer-1", "event-1"], read.Unsent.Select(m => m.Id));
        Assert.Equal(timer.Event.FireAt, read.Unsent[0].Event.FireAt);
        Assert.Equal(("other", "Go", "\"ping\""), (read.Unsent[1].InstanceId, read.Unsent[1].Event.Name, read.Unsent[1].Event.Input));
        Assert.Empty(second.Unsent);
        Assert.Empty((await _storage.ReadHistoryAsync(id, default)).Unsent);
    }

    [Fact]
    public async Task An_unsent_list_longer_than_a_table_column_is_kept_in_a_blob()
    {
        var id = "unsent-long-" + Guid.NewGuid().ToString("N");
        var started = new HistoryEvent { EventType = EventType.ExecutionStarted, Name = "x", ExecutionId = "e1", Timestamp = DateTime.UtcNow };
        var payload = "\"" + new string('p', 1000) + "\"";
        var starts = Enumerable.Range(0, 200)
            .Select(i => new TaskMessage($"start-{i}", $"child-{i}", "c", new HistoryEvent { EventType = EventType.ExecutionStarted, Name = "Child", Input = payload }))
            .ToList();

        await _storage.AppendHistoryAsync(id, HistorySnapshot.Empty, [started], false, starts, default);
        var read = await _storage.ReadHistoryAsync(id, default);

        Assert.Equal(starts.Select(m => m.Id), read.Unsent.Select(m => m.Id));
        Assert.All(read.Unsent, m => Assert.Equal(payload, m.Event.Input));
    }

    [Fact]
    public async Task A_fan_out_larger_than_one_table_batch_keeps_every_event()
    {
        var result = await _host.RunAsync("FanOut", 150, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, 150).Sum(i => i * i), result.ReadOutputAs<int>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.Equal(150, history.Count(e => e.EventType == EventType.TaskScheduled));
        Assert.Equal(150, history.Count(e => e.EventType == EventType.TaskCompleted));
    }

    [Fact]
    public async Task ContinueAsNew_replaces_the_history_rows_of_the_previous_execution()
    {
        var result = await _host.RunAsync("Counter", 0);

        Assert.Equal(5, result.ReadOutputAs<int>());
        var history = await _host.Client.GetOrchestrationHistoryAsync(result.InstanceId);
        Assert.Single(history, e => e.EventType == EventType.ExecutionStarted);
    }

    [Fact]
    public async Task Query_pages_and_purge_work_against_Azurite()
    {
        var prefix = "azq-" + Guid.NewGuid().ToString("N")[..6] + "-";
        for (var i = 0; i < 4; i++)
        {
            await _host.RunAsync("Echo", "x", instanceId: prefix + i);
        }

        var page = await _host.Client.GetInstancesPageAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 3, Statuses = [OrchestrationRuntimeStatus.Completed] });
        var rest = await _host.Client.GetInstancesPageAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 3, Statuses = [OrchestrationRuntimeStatus.Completed], ContinuationToken = page.ContinuationToken });
        var purged = await _host.Client.PurgeInstanceAsync(prefix + "0");

        Assert.Equal(3, page.Values.Count);
        Assert.Single(rest.Values);
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await _host.Client.GetInstanceAsync(prefix + "0"));
        Assert.Empty(await _host.Client.GetOrchestrationHistoryAsync(prefix + "0"));
    }

    [Fact]
    public async Task Timers_and_external_events_work_on_Azure_queues()
    {
        var timedOut = await _host.RunAsync("Approval", 0.5);
        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync("Approval", 60);
        await _host.Client.WaitForInstanceStartAsync(id);
        await _host.Client.RaiseEventAsync(id, "Approval", false);
        var rejected = await _host.WaitAsync(id);

        Assert.Equal("timed out", timedOut.ReadOutputAs<string>());
        Assert.Equal("rejected", rejected.ReadOutputAs<string>());
    }
}

using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Urumi.Durable.Client;
using Page = Urumi.Durable.Client.Page<Urumi.Durable.Storage.InstanceRecord>;
using Urumi.Durable.History;
using Urumi.Durable.Serialization;

namespace Urumi.Durable.Storage.AzureStorage;

/// <summary>
/// A task hub in Azure Storage (or Azurite), in the DurableTask.AzureStorage layout: {hub}Instances and {hub}History
/// tables, {hub}-control-NN queues, a {hub}-workitems queue, blob leases in {hub}-leases and payloads too large for a
/// table property or a queue message gzipped in {hub}-largemessages.
/// </summary>
public sealed class AzureTaskHubStorage : ITaskHubStorage
{
    private const int MaxInlineChars = 30_000;
    private const int MaxInlineMessageBytes = 45_000;
    private const string Sentinel = "sentinel";
    private static readonly JsonSerializerOptions Json = JsonDataConverter.Options;
    private readonly AzureStorageNames _names;
    private readonly TableClient _instances;
    private readonly TableClient _history;
    private readonly TableClient _poison;
    private readonly QueueClient[] _control;
    private readonly QueueClient _workItems;
    private readonly BlobContainerClient _large;
    private readonly BlobLeases _leases;

    public AzureTaskHubStorage(string connectionString, string taskHubName, int partitionCount, TimeSpan leaseDuration)
    {
        if (leaseDuration < TimeSpan.FromSeconds(15) || leaseDuration > TimeSpan.FromSeconds(60))
        {
            throw new ArgumentOutOfRangeException(nameof(leaseDuration), "Blob leases last 15 to 60 seconds.");
        }
        TaskHubName = taskHubName;
        PartitionCount = partitionCount;
        _names = new AzureStorageNames(taskHubName);
        var tables = new TableServiceClient(connectionString, Configure(new TableClientOptions()));
        var queues = new QueueServiceClient(connectionString, Configure(new QueueClientOptions()));
        var blobs = new BlobServiceClient(connectionString, Configure(new BlobClientOptions()));
        _instances = tables.GetTableClient(_names.InstancesTable);
        _history = tables.GetTableClient(_names.HistoryTable);
        _poison = tables.GetTableClient(_names.PoisonTable);
        _control = Enumerable.Range(0, partitionCount).Select(i => queues.GetQueueClient(_names.ControlQueue(i))).ToArray();
        _workItems = queues.GetQueueClient(_names.WorkItemQueue);
        _large = blobs.GetBlobContainerClient(_names.LargeMessagesContainer);
        _leases = new BlobLeases(blobs.GetBlobContainerClient(_names.LeasesContainer), partitionCount, leaseDuration, Metrics);
    }

    public string TaskHubName { get; }

    public int PartitionCount { get; }

    public StorageMetrics Metrics { get; } = new();

    public IPartitionLeaseStore Leases => _leases;

    public event Action<int, DateTime>? MessageSent;

    public async Task CreateIfNotExistsAsync(CancellationToken ct)
    {
        await Task.WhenAll(
            _instances.CreateIfNotExistsAsync(ct),
            _history.CreateIfNotExistsAsync(ct),
            _poison.CreateIfNotExistsAsync(ct),
            _workItems.CreateIfNotExistsAsync(cancellationToken: ct),
            _large.CreateIfNotExistsAsync(cancellationToken: ct),
            Task.WhenAll(_control.Select(q => q.CreateIfNotExistsAsync(cancellationToken: ct))));
        await _leases.CreateIfNotExistsAsync(ct);
    }

    public async Task DeleteTaskHubAsync(CancellationToken ct)
    {
        await Task.WhenAll(
            _instances.DeleteAsync(ct),
            _history.DeleteAsync(ct),
            _poison.DeleteAsync(ct),
            _workItems.DeleteIfExistsAsync(ct),
            _large.DeleteIfExistsAsync(cancellationToken: ct),
            _leases.DeleteAsync(ct),
            Task.WhenAll(_control.Select(q => q.DeleteIfExistsAsync(ct))));
    }

    public int PartitionOf(string instanceId) => PartitionHash.Of(instanceId, PartitionCount);

    public async Task SendControlMessageAsync(TaskMessage message, TimeSpan delay, CancellationToken ct)
    {
        var partition = PartitionOf(message.InstanceId);
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        await SendAsync(_control[partition], message, delay, ct);
        MessageSent?.Invoke(partition, DateTime.UtcNow + delay);
    }

    public async Task SendWorkItemAsync(TaskMessage message, CancellationToken ct)
    {
        await SendAsync(_workItems, message, TimeSpan.Zero, ct);
        MessageSent?.Invoke(-1, DateTime.UtcNow);
    }

    public Task<IReadOnlyList<ReceivedMessage>> ReceiveControlMessagesAsync(int partition, int max, TimeSpan visibility, CancellationToken ct) =>
        ReceiveAsync(_control[partition], max, visibility, ct);

    public Task<IReadOnlyList<ReceivedMessage>> ReceiveWorkItemsAsync(int max, TimeSpan visibility, CancellationToken ct) =>
        ReceiveAsync(_workItems, max, visibility, ct);

    public async Task DeleteMessageAsync(ReceivedMessage message, CancellationToken ct)
    {
        var receipt = (Receipt)message.Receipt!;
        Metrics.QueueDelete();
        try
        {
            await receipt.Queue.DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Already deleted, or received again elsewhere after its visibility ended: nothing to do.
        }
    }

    public Task ReleaseMessageAsync(ReceivedMessage message, TimeSpan delay, CancellationToken ct) => UpdateVisibilityAsync(message, delay, ct);

    public Task RenewMessageAsync(ReceivedMessage message, TimeSpan visibility, CancellationToken ct) => UpdateVisibilityAsync(message, visibility, ct);

    /// <summary>The sentinel's column for <see cref="HistorySnapshot.Unsent"/> (an addition to the DurableTask.AzureStorage layout).</summary>
    private const string UnsentProperty = "UnsentMessages";

    public async Task<HistorySnapshot> ReadHistoryAsync(string instanceId, CancellationToken ct)
    {
        var key = AzureStorageNames.Key(instanceId);
        var rows = new List<TableEntity>();
        TableEntity? sentinel = null;
        await foreach (var page in _history.QueryAsync<TableEntity>(e => e.PartitionKey == key, cancellationToken: ct).AsPages())
        {
            Metrics.TableRead();
            foreach (var row in page.Values)
            {
                if (row.RowKey == Sentinel)
                {
                    sentinel = row;
                }
                else
                {
                    rows.Add(row);
                }
            }
        }
        if (sentinel is null)
        {
            return HistorySnapshot.Empty;
        }
        var start = sentinel.GetInt64("ExecutionStart") ?? 0;
        var next = sentinel.GetInt64("NextOrdinal") ?? 0;
        var events = new List<HistoryEvent>();
        foreach (var row in rows.Where(r => Ordinal(r.RowKey) is { } o && o >= start && o < next).OrderBy(r => r.RowKey, StringComparer.Ordinal))
        {
            events.Add(JsonSerializer.Deserialize<HistoryEvent>(await ReadLargeAsync(row, "Data", ct) ?? "null", Json)!);
        }
        var unsent = await ReadLargeAsync(sentinel, UnsentProperty, ct) is { Length: > 0 } json ? JsonSerializer.Deserialize<List<TaskMessage>>(json, Json) ?? [] : [];
        return new HistorySnapshot(events, sentinel.ETag.ToString(), start, next) { Unsent = unsent };
    }

    public async Task<HistorySnapshot> AppendHistoryAsync(string instanceId, HistorySnapshot basis, IReadOnlyList<HistoryEvent> events, bool newExecution,
        IReadOnlyList<TaskMessage> unsent, CancellationToken ct)
    {
        var key = AzureStorageNames.Key(instanceId);
        var start = newExecution ? basis.NextOrdinal : basis.ExecutionStartOrdinal;
        var rows = new List<TableEntity>();
        for (var i = 0; i < events.Count; i++)
        {
            var row = new TableEntity(key, (basis.NextOrdinal + i).ToString("X16", CultureInfo.InvariantCulture))
            {
                ["EventType"] = events[i].EventType.ToString(),
            };
            await WriteLargeAsync(row, "Data", JsonSerializer.Serialize(events[i], Json), key, ct);
            rows.Add(row);
        }
        var next = basis.NextOrdinal + events.Count;
        var sentinel = new TableEntity(key, Sentinel)
        {
            ["ExecutionStart"] = start,
            ["NextOrdinal"] = next,
            ["ExecutionId"] = events.FirstOrDefault(e => e.EventType == EventType.ExecutionStarted)?.ExecutionId,
        };
        // A long list goes to a blob, as large payloads do.
        await WriteLargeAsync(sentinel, UnsentProperty, unsent.Count == 0 ? null : JsonSerializer.Serialize(unsent, Json), key, ct);
        var chunks = rows.Chunk(99).ToList();
        try
        {
            foreach (var chunk in chunks.SkipLast(1))
            {
                Metrics.TableBatch();
                await _history.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct);
            }
            var last = (chunks.LastOrDefault() ?? []).Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)).ToList();
            last.Add(basis.ETag is null
                ? new TableTransactionAction(TableTransactionActionType.Add, sentinel)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, sentinel, new ETag(basis.ETag)));
            Metrics.TableBatch();
            var response = await _history.SubmitTransactionAsync(last, ct);
            var etag = response.Value[^1].Headers.ETag?.ToString() ?? await ReadSentinelETagAsync(key, ct);
            if (newExecution && basis.NextOrdinal > 0)
            {
                _ = DeleteHistoryRowsAsync(key, before: basis.NextOrdinal);
            }
            var all = newExecution ? events.ToList() : [.. basis.Events, .. events];
            return new HistorySnapshot(all, etag, start, next) { Unsent = [.. unsent] };
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            throw new HistoryConflictException(instanceId);
        }
    }

    public async Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken ct)
    {
        Metrics.TableRead();
        var response = await _instances.GetEntityIfExistsAsync<TableEntity>(AzureStorageNames.Key(instanceId), "", cancellationToken: ct);
        return response.HasValue ? await ToRecordAsync(response.Value!, ct) : null;
    }

    public async Task<InstanceRecord?> TryCreateInstanceAsync(InstanceRecord record, CancellationToken ct)
    {
        var entity = await ToEntityAsync(record, ct);
        try
        {
            Metrics.TableWrite();
            await _instances.AddEntityAsync(entity, ct);
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await GetInstanceAsync(record.InstanceId, ct) ?? throw new HistoryConflictException(record.InstanceId);
        }
    }

    public async Task<bool> UpdateInstanceAsync(InstanceRecord record, CancellationToken ct)
    {
        var entity = await ToEntityAsync(record, ct);
        Metrics.TableWrite();
        try
        {
            if (record.ETag is null)
            {
                await _instances.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
            }
            else
            {
                await _instances.UpdateEntityAsync(entity, new ETag(record.ETag), TableUpdateMode.Replace, ct);
            }
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<Page> QueryInstancesAsync(InstanceFilter filter, int pageSize, string? continuationToken, CancellationToken ct)
    {
        var clauses = new List<string> { "RowKey eq ''" };
        if (filter.CreatedFrom is { } from)
        {
            clauses.Add(TableClient.CreateQueryFilter($"CreatedTime ge {new DateTimeOffset(DateTime.SpecifyKind(from, DateTimeKind.Utc))}"));
        }
        if (filter.CreatedTo is { } to)
        {
            clauses.Add(TableClient.CreateQueryFilter($"CreatedTime le {new DateTimeOffset(DateTime.SpecifyKind(to, DateTimeKind.Utc))}"));
        }
        if (filter.Statuses is { Count: > 0 } statuses)
        {
            clauses.Add("(" + string.Join(" or ", statuses.Select(s => TableClient.CreateQueryFilter($"RuntimeStatus eq {s.ToString()}"))) + ")");
        }
        if (filter.InstanceIdPrefix is { Length: > 0 } prefix)
        {
            var key = AzureStorageNames.Key(prefix);
            clauses.Add(TableClient.CreateQueryFilter($"PartitionKey ge {key} and PartitionKey lt {key + '\uffff'}"));
        }
        var query = string.Join(" and ", clauses);
        await foreach (var page in _instances.QueryAsync<TableEntity>(query, pageSize, cancellationToken: ct).AsPages(continuationToken, pageSize))
        {
            Metrics.TableRead();
            var records = new List<InstanceRecord>();
            foreach (var entity in page.Values)
            {
                records.Add(await ToRecordAsync(entity, ct));
            }
            return new Page(records, page.ContinuationToken);
        }
        return new Page([], null);
    }

    public async Task<bool> PurgeInstanceAsync(string instanceId, CancellationToken ct)
    {
        var key = AzureStorageNames.Key(instanceId);
        Metrics.TableWrite();
        var existed = !(await _instances.DeleteEntityAsync(key, "", ETag.All, ct)).IsError;
        await DeleteHistoryRowsAsync(key, before: long.MaxValue, ct);
        await foreach (var blob in _large.GetBlobsAsync(BlobTraits.None, BlobStates.None, key + "/", ct))
        {
            Metrics.BlobOperation();
            await _large.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: ct);
        }
        return existed;
    }

    public async Task ParkPoisonMessageAsync(ReceivedMessage message, string reason, CancellationToken ct)
    {
        var entity = new TableEntity(AzureStorageNames.Key(message.Message.InstanceId), AzureStorageNames.Key(message.Message.Id))
        {
            ["Queue"] = message.Queue,
            ["DequeueCount"] = message.DequeueCount,
            ["Reason"] = reason,
            ["ParkedAt"] = DateTimeOffset.UtcNow,
        };
        await WriteLargeAsync(entity, "Message", JsonSerializer.Serialize(message.Message, Json), entity.PartitionKey, ct);
        Metrics.TableWrite();
        await _poison.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
    }

    public async Task<IReadOnlyList<PoisonMessage>> GetPoisonMessagesAsync(CancellationToken ct)
    {
        var result = new List<PoisonMessage>();
        await foreach (var e in _poison.QueryAsync<TableEntity>(cancellationToken: ct))
        {
            var message = JsonSerializer.Deserialize<TaskMessage>(await ReadLargeAsync(e, "Message", ct) ?? "null", Json)!;
            result.Add(new PoisonMessage(e.GetString("Queue"), message, e.GetInt32("DequeueCount") ?? 0, e.GetString("Reason"), e.GetDateTimeOffset("ParkedAt")?.UtcDateTime ?? default));
        }
        Metrics.TableRead();
        return result;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private T Configure<T>(T options) where T : ClientOptions
    {
        options.AddPolicy(new TimingPolicy(Metrics), HttpPipelinePosition.PerRetry);
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(15);
        return options;
    }

    private async Task SendAsync(QueueClient queue, TaskMessage message, TimeSpan delay, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(message, Json);
        if (Encoding.UTF8.GetByteCount(body) > MaxInlineMessageBytes)
        {
            var blob = $"{AzureStorageNames.Key(message.InstanceId)}/msg-{Guid.NewGuid():N}.json.gz";
            await UploadAsync(blob, body, ct);
            body = JsonSerializer.Serialize(new LargeMessage(blob), Json);
        }
        Metrics.QueueSend();
        var visibility = delay > TimeSpan.FromDays(6) ? TimeSpan.FromDays(6) : delay;
        await queue.SendMessageAsync(body, visibility, TimeSpan.FromSeconds(-1), ct);
    }

    private async Task<IReadOnlyList<ReceivedMessage>> ReceiveAsync(QueueClient queue, int max, TimeSpan visibility, CancellationToken ct)
    {
        Metrics.QueueReceive();
        var response = await queue.ReceiveMessagesAsync(Math.Clamp(max, 1, 32), visibility, ct);
        var result = new List<ReceivedMessage>(response.Value.Length);
        foreach (var m in response.Value)
        {
            var body = m.Body.ToString();
            if (JsonSerializer.Deserialize<LargeMessage>(body, Json) is { Blob: { } blob })
            {
                body = await DownloadAsync(blob, ct);
            }
            var message = JsonSerializer.Deserialize<TaskMessage>(body, Json)!;
            result.Add(new ReceivedMessage(message, (int)m.DequeueCount, new Receipt(queue, m.MessageId, m.PopReceipt), queue.Name));
        }
        return result;
    }

    private async Task UpdateVisibilityAsync(ReceivedMessage message, TimeSpan visibility, CancellationToken ct)
    {
        var receipt = (Receipt)message.Receipt!;
        Metrics.QueueUpdate();
        try
        {
            var response = await receipt.Queue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: visibility, cancellationToken: ct);
            message.Receipt = receipt with { PopReceipt = response.Value.PopReceipt };
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            // Gone or received again elsewhere.
        }
    }

    private async Task<string> ReadSentinelETagAsync(string key, CancellationToken ct)
    {
        Metrics.TableRead();
        return (await _history.GetEntityAsync<TableEntity>(key, Sentinel, cancellationToken: ct)).Value.ETag.ToString();
    }

    private async Task DeleteHistoryRowsAsync(string key, long before, CancellationToken ct = default)
    {
        try
        {
            var doomed = new List<TableEntity>();
            await foreach (var row in _history.QueryAsync<TableEntity>(e => e.PartitionKey == key, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
            {
                if (before == long.MaxValue || (Ordinal(row.RowKey) is { } o && o < before))
                {
                    doomed.Add(row);
                }
            }
            Metrics.TableRead();
            foreach (var chunk in doomed.Chunk(100))
            {
                Metrics.TableBatch();
                await _history.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), ct);
            }
        }
        catch (RequestFailedException) when (before != long.MaxValue)
        {
            // Old executions' rows are only garbage: a later purge removes what is left.
        }
    }

    private async Task<TableEntity> ToEntityAsync(InstanceRecord r, CancellationToken ct)
    {
        var key = AzureStorageNames.Key(r.InstanceId);
        var entity = new TableEntity(key, "")
        {
            ["InstanceId"] = r.InstanceId,
            ["Name"] = r.Name,
            ["RuntimeStatus"] = r.RuntimeStatus.ToString(),
            ["ExecutionId"] = r.ExecutionId,
            ["FailureDetails"] = r.FailureDetails is null ? null : JsonSerializer.Serialize(r.FailureDetails, Json),
            ["CreatedTime"] = Utc(r.CreatedTime),
            ["LastUpdatedTime"] = Utc(r.LastUpdatedTime),
            ["CompletedTime"] = r.CompletedTime is { } c ? Utc(c) : null,
            ["ScheduledStartTime"] = r.ScheduledStartTime is { } s ? Utc(s) : null,
        };
        await WriteLargeAsync(entity, "Input", r.Input, key, ct);
        await WriteLargeAsync(entity, "Output", r.Output, key, ct);
        await WriteLargeAsync(entity, "CustomStatus", r.CustomStatus, key, ct);
        return entity;
    }

    private async Task<InstanceRecord> ToRecordAsync(TableEntity e, CancellationToken ct) => new()
    {
        InstanceId = e.GetString("InstanceId"),
        Name = e.GetString("Name"),
        RuntimeStatus = Enum.Parse<OrchestrationRuntimeStatus>(e.GetString("RuntimeStatus")),
        ExecutionId = e.GetString("ExecutionId"),
        Input = await ReadLargeAsync(e, "Input", ct),
        Output = await ReadLargeAsync(e, "Output", ct),
        CustomStatus = await ReadLargeAsync(e, "CustomStatus", ct),
        FailureDetails = e.GetString("FailureDetails") is { } f ? JsonSerializer.Deserialize<TaskFailureDetails>(f, Json) : null,
        CreatedTime = e.GetDateTimeOffset("CreatedTime")?.UtcDateTime ?? default,
        LastUpdatedTime = e.GetDateTimeOffset("LastUpdatedTime")?.UtcDateTime ?? default,
        CompletedTime = e.GetDateTimeOffset("CompletedTime")?.UtcDateTime,
        ScheduledStartTime = e.GetDateTimeOffset("ScheduledStartTime")?.UtcDateTime,
        ETag = e.ETag.ToString(),
    };

    /// <summary>Stores <paramref name="value"/> in the property, or gzipped in a blob named by {property}BlobName when too large.</summary>
    private async Task WriteLargeAsync(TableEntity entity, string property, string? value, string key, CancellationToken ct)
    {
        if (value is null || value.Length <= MaxInlineChars)
        {
            entity[property] = value;
            return;
        }
        var blob = $"{key}/{property.ToLowerInvariant()}-{Guid.NewGuid():N}.json.gz";
        await UploadAsync(blob, value, ct);
        entity[property + "BlobName"] = blob;
    }

    private async Task<string?> ReadLargeAsync(TableEntity entity, string property, CancellationToken ct) =>
        entity.GetString(property + "BlobName") is { } blob ? await DownloadAsync(blob, ct) : entity.GetString(property);

    private async Task UploadAsync(string blob, string value, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(value), ct);
        }
        buffer.Position = 0;
        Metrics.BlobOperation();
        await _large.UploadBlobAsync(blob, buffer, ct);
    }

    private async Task<string> DownloadAsync(string blob, CancellationToken ct)
    {
        Metrics.BlobOperation();
        var content = await _large.GetBlobClient(blob).DownloadContentAsync(ct);
        await using var gzip = new GZipStream(content.Value.Content.ToStream(), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    private static long? Ordinal(string rowKey) =>
        long.TryParse(rowKey, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var o) ? o : null;

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private sealed record Receipt(QueueClient Queue, string MessageId, string PopReceipt);

    private sealed record LargeMessage(string? Blob);

    /// <summary>Times every request (each retry on its own) for <see cref="StorageMetrics.MeanRequestTime"/>.</summary>
    private sealed class TimingPolicy(StorageMetrics metrics) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            ProcessNext(message, pipeline);
            metrics.Requested(System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            await ProcessNextAsync(message, pipeline);
            metrics.Requested(System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }
    }
}

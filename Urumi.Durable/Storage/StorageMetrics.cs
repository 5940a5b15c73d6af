namespace Urumi.Durable.Storage;

/// <summary>Counts storage operations by kind, so benchmarks can report operations per activity call.</summary>
public sealed class StorageMetrics
{
    private long _queueSends;
    private long _queueReceives;
    private long _queueDeletes;
    private long _queueUpdates;
    private long _tableReads;
    private long _tableWrites;
    private long _tableBatches;
    private long _blobOps;
    private long _requests;
    private long _requestTicks;

    public long QueueSends => Interlocked.Read(ref _queueSends);

    public long QueueReceives => Interlocked.Read(ref _queueReceives);

    public long QueueDeletes => Interlocked.Read(ref _queueDeletes);

    public long QueueUpdates => Interlocked.Read(ref _queueUpdates);

    public long TableReads => Interlocked.Read(ref _tableReads);

    public long TableWrites => Interlocked.Read(ref _tableWrites);

    public long BlobOperations => Interlocked.Read(ref _blobOps);

    /// <summary>Entity-group transactions (history appends); one request each, whatever the row count.</summary>
    public long TableBatches => Interlocked.Read(ref _tableBatches);

    /// <summary>Every request made to storage, leases and heartbeats included.</summary>
    public long Total => QueueSends + QueueReceives + QueueDeletes + QueueUpdates + TableReads + TableWrites + TableBatches + BlobOperations;

    /// <summary>HTTP requests sent to storage, retries included, and their mean time (as this process saw it).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public TimeSpan MeanRequestTime => Requests == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _requestTicks) / Requests);

    public TimeSpan TotalRequestTime => TimeSpan.FromTicks(Interlocked.Read(ref _requestTicks));

    public void Requested(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _requestTicks, elapsed.Ticks);
    }

    public void QueueSend() => Interlocked.Increment(ref _queueSends);

    public void QueueReceive() => Interlocked.Increment(ref _queueReceives);

    public void QueueDelete() => Interlocked.Increment(ref _queueDeletes);

    public void QueueUpdate() => Interlocked.Increment(ref _queueUpdates);

    public void TableRead() => Interlocked.Increment(ref _tableReads);

    public void TableWrite() => Interlocked.Increment(ref _tableWrites);

    public void BlobOperation() => Interlocked.Increment(ref _blobOps);

    public void TableBatch() => Interlocked.Increment(ref _tableBatches);

    public override string ToString() =>
        $"queue send {QueueSends}, receive {QueueReceives}, delete {QueueDeletes}, update {QueueUpdates}; table read {TableReads}, write {TableWrites}, batch {TableBatches}; blob {BlobOperations}; total {Total}";
}

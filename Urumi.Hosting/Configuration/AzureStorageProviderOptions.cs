namespace Urumi.Hosting.Configuration;

/// <summary>
/// host.json's extensions:durableTask:storageProvider for DurableTask.AzureStorage. The defaults differ from the
/// extension's where its defaults make recovery or latency slow (README, "Durable worker settings"); the lease
/// settings and workerId are the self-host's additions (the extension does not read them from host.json, so under
/// `func start` they are ignored).
/// </summary>
public sealed class AzureStorageProviderOptions
{
    /// <summary>The app setting holding the storage connection string, as in the extension.</summary>
    public string ConnectionName { get; set; } = "AzureWebJobsStorage";

    /// <summary>The extension's older name for <see cref="ConnectionName"/>.</summary>
    public string? ConnectionStringName
    {
        get => null;
        set => ConnectionName = value ?? ConnectionName;
    }

    /// <summary>The connection string <see cref="ConnectionName"/> names, looked up in configuration (not read from host.json).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Control queues (orchestration partitions); the extension's default. Fixed for the life of a task hub.</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>Messages fetched per control-queue read; the extension's default and Azure Queues' maximum.</summary>
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>Control-queue messages a worker holds in memory, fetched but not yet processed; the extension's default.</summary>
    public int ControlQueueBufferThreshold { get; set; } = 64;

    /// <summary>
    /// The longest wait between two reads of an empty queue (reads back off up to it). The extension's 30 s means a
    /// message reaching an idle worker, like a second worker's partition, waits up to 30 s; 1 s bounds that wait
    /// for about (partitionCount + 1) queue reads a second per idle worker.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long dequeued orchestration messages stay hidden. The messages a crashed worker had dequeued wait this long
    /// before another worker sees them: the extension's 5 min becomes 20 s. A running orchestration episode renews
    /// it, and the work is replay-safe if a message is seen twice.
    /// </summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a dequeued activity message stays hidden: a crashed worker's activity runs again elsewhere after this
    /// (the extension's 5 min becomes 20 s). A running activity keeps its message: DurableTask.Core renews it every
    /// 5 s when the timeout is 30 s or less, so long activities (helm installs) are not run twice.
    /// </summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a partition lease lasts without renewal: the partitions of a crashed worker are taken over after at
    /// most this plus <see cref="LeaseAcquireInterval"/> (DurableTask.AzureStorage's 30 s becomes 15 s).
    /// </summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often held leases are renewed (blob partition manager): three renewals per lease interval.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a worker renews its leases and looks for expired or unbalanced ones (the table partition manager
    /// does both in this loop): 5 s, three chances per lease interval, and a crashed worker's partitions found
    /// within 5 s of their expiry.
    /// </summary>
    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Partition leases in an Azure Table (DurableTask.AzureStorage 2.x's default) instead of blobs.</summary>
    public bool UseTablePartitionManagement { get; set; } = true;

    /// <summary>
    /// This process's name in partition leases. DurableTask.AzureStorage's default, the machine name, is shared by
    /// every process on one machine (and by containers given the same host name), so two workers would take each
    /// other's leases for their own; machine name, process id and a random suffix are unique.
    /// </summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}

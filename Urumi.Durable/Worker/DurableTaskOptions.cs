using System.ComponentModel.DataAnnotations;

namespace Urumi.Durable.Worker;

/// <summary>
/// Engine settings, bound from host.json extensions.durableTask (same names as Durable Functions) and validated at start.
/// </summary>
public sealed class DurableTaskOptions
{
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "hubName must be 3-45 letters or digits, starting with a letter.")]
    public string HubName { get; set; } = "TestHubName";

    [Range(1, 16)]
    public int PartitionCount { get; set; } = 4;

    [Range(1, 1000)]
    public int MaxConcurrentActivityFunctions { get; set; } = 10 * Environment.ProcessorCount;

    [Range(1, 1000)]
    public int MaxConcurrentOrchestratorFunctions { get; set; } = 10 * Environment.ProcessorCount;

    [Range(1, 32)]
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>The longest an idle dispatcher waits between polls (Durable Functions: 30 s; Urumi: 1 s).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries after which a failing message is parked in the poison store and its instance fails.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a received control message stays invisible; a crashed owner's messages reappear after it.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a received work item stays invisible; renewed while the activity runs.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Partition lease length (15-60 s for blob leases); renewed every third of it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Run activities scheduled by this worker's orchestrations in this worker when it has capacity.</summary>
    public bool LocalActivityDispatch { get; set; } = true;

    /// <summary>
    /// Hand a new instance's start to this worker directly when a client in this process creates it on a partition this
    /// worker owns: no start message on the control queue. The Pending instance row is the durable record; whoever
    /// takes the partition after a crash sends the start again from it.
    /// </summary>
    public bool LocalStartDelivery { get; set; } = true;

    /// <summary>
    /// Hand a message from one orchestration to another (an event, a sub-orchestration's start or result) to the
    /// receiver in memory when this worker owns the receiver's partition, after the sender's history append, with no
    /// queue message. The append lists the message as unsent (in the same transaction); a worker that recovers the
    /// sender after a crash sends it again, and the receiver drops a copy it already has. If the receiver lets it go
    /// (its partition left this worker), the sender sends it by queue. An instance whose last step sent such messages
    /// shows its end in its row only once they arrived, so recovery still finds it until then.
    /// </summary>
    public bool LocalEventDelivery { get; set; } = true;

    /// <summary>
    /// A step that would record nothing but the arrival of results of this worker's own activities (no new work, no
    /// status change: a fan-in, or a result that comes while the orchestration waits for an event) waits up to this
    /// long for the next message, so both go into one history append. Such results are in memory only, and an
    /// activity whose result is lost with the process runs again, as it would without the wait. Zero turns it off.
    /// </summary>
    public TimeSpan EmptyStepWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Identifies this worker in partition leases; unique per process by default.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}

using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Urumi.Durable.Storage.AzureStorage;

/// <summary>
/// Partition ownership as blob leases (one blob per partition in {hub}-leases), and worker liveness as small
/// heartbeat blobs under workers/ whose metadata carries the time of the last beat.
/// </summary>
internal sealed class BlobLeases(BlobContainerClient container, int partitionCount, TimeSpan leaseDuration, StorageMetrics metrics) : IPartitionLeaseStore
{
    public TimeSpan LeaseDuration => leaseDuration;

    public async Task CreateIfNotExistsAsync(CancellationToken ct)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        for (var p = 0; p < partitionCount; p++)
        {
            try
            {
                metrics.BlobOperation();
                await container.GetBlobClient(BlobName(p)).UploadAsync(BinaryData.FromString(""), overwrite: false, ct);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Exists (possibly leased).
            }
        }
    }

    public Task DeleteAsync(CancellationToken ct) => container.DeleteIfExistsAsync(cancellationToken: ct);

    public async Task<bool> TryAcquireAsync(int partition, string workerId, CancellationToken ct)
    {
        metrics.BlobOperation();
        try
        {
            await Lease(partition, workerId).AcquireAsync(leaseDuration, cancellationToken: ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<bool> RenewAsync(int partition, string workerId, CancellationToken ct)
    {
        metrics.BlobOperation();
        try
        {
            await Lease(partition, workerId).RenewAsync(cancellationToken: ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return false;
        }
    }

    public async Task ReleaseAsync(int partition, string workerId, CancellationToken ct)
    {
        metrics.BlobOperation();
        try
        {
            await Lease(partition, workerId).ReleaseAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            // Not ours any more.
        }
    }

    public async Task<int> HeartbeatAsync(string workerId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        metrics.BlobOperation();
        await container.GetBlobClient(WorkerBlob(workerId)).UploadAsync(
            BinaryData.FromString(workerId),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["beat"] = now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            ct);
        var alive = 0;
        metrics.BlobOperation();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, "workers/", ct))
        {
            var beat = blob.Metadata.TryGetValue("beat", out var ms) && long.TryParse(ms, out var t) ? DateTimeOffset.FromUnixTimeMilliseconds(t) : DateTimeOffset.MinValue;
            if (now - beat < leaseDuration)
            {
                alive++;
            }
            else if (now - beat > leaseDuration * 4)
            {
                metrics.BlobOperation();
                await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: ct);
            }
        }
        return alive;
    }

    public async Task RemoveWorkerAsync(string workerId, CancellationToken ct)
    {
        metrics.BlobOperation();
        await container.DeleteBlobIfExistsAsync(WorkerBlob(workerId), cancellationToken: ct);
    }

    private BlobLeaseClient Lease(int partition, string workerId) =>
        container.GetBlobClient(BlobName(partition)).GetBlobLeaseClient(LeaseId(workerId));

    private static string BlobName(int partition) => $"partition-{partition:00}";

    private static string WorkerBlob(string workerId) => $"workers/{Uri.EscapeDataString(workerId)}";

    private static string LeaseId(string workerId) => new Guid(MD5.HashData(Encoding.UTF8.GetBytes(workerId))).ToString();
}

using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Urumi.Durable.Bench;

/// <summary>
/// Azurite's raw request rates on this machine, per operation kind, with 16 concurrent callers, each on its own
/// queue and partitions (Azurite's receive slows down with queue depth, so depths stay like the engine's).
/// Each kind is warmed up first; batches carry 3 rows, the size of a typical history append.
/// </summary>
internal sealed record AzuriteRates(double QueueSend, double QueueReceive, double QueueDelete, double TablePointWrite, double TableBatchWrite, double TablePartitionQuery)
{
    private const int Callers = 16;
    private const int PerCaller = 40;

    public static async Task<AzuriteRates> MeasureAsync(string connectionString)
    {
        var queues = new QueueClient[Callers];
        for (var c = 0; c < Callers; c++)
        {
            queues[c] = new QueueClient(connectionString, $"rawrates-{c}");
            await queues[c].CreateIfNotExistsAsync();
        }
        var table = new TableClient(connectionString, "RawRates");
        await table.CreateIfNotExistsAsync();
        var received = new System.Collections.Concurrent.ConcurrentQueue<(int Caller, string Id, string Pop)>[Callers];
        for (var c = 0; c < Callers; c++)
        {
            received[c] = new();
        }

        async Task<(double Send, double Receive, double Delete)> QueueRoundAsync()
        {
            var send = await RateAsync((c, i) => queues[c].SendMessageAsync($"message {i}"));
            var receive = await RateAsync(async (c, _) =>
            {
                foreach (var m in (await queues[c].ReceiveMessagesAsync(1, TimeSpan.FromMinutes(5))).Value)
                {
                    received[c].Enqueue((c, m.MessageId, m.PopReceipt));
                }
            });
            var delete = await RateAsync(async (c, _) =>
            {
                if (received[c].TryDequeue(out var m))
                {
                    await queues[c].DeleteMessageAsync(m.Id, m.Pop);
                }
            });
            return (send, receive, delete);
        }

        await QueueRoundAsync();
        var (sendRate, receiveRate, deleteRate) = await QueueRoundAsync();
        await RateAsync((c, i) => table.UpsertEntityAsync(new TableEntity($"warm{c}-{i}", "") { ["Data"] = new string('x', 200) }));
        var point = await RateAsync((c, i) => table.UpsertEntityAsync(new TableEntity($"p{c}-{i}", "") { ["Data"] = new string('x', 200) }));
        var batch = await RateAsync((c, i) => table.SubmitTransactionAsync(Enumerable.Range(0, 3).Select(r =>
            new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity($"b{c}-{i}", r.ToString("X16")) { ["Data"] = new string('x', 200) }))));
        var query = await RateAsync(async (c, i) =>
        {
            await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == $"b{c}-{i}"))
            {
            }
        });
        return new AzuriteRates(sendRate, receiveRate, deleteRate, point, batch, query);
    }

    private static async Task<double> RateAsync(Func<int, int, Task> operation)
    {
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(async c =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                await operation(c, i);
            }
        }));
        return Callers * PerCaller / watch.Elapsed.TotalSeconds;
    }
}

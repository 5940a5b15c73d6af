using System.Diagnostics;
using Urumi.Medusa.Tests.Support;
using Xunit.Abstractions;

namespace Urumi.Medusa.Tests;

/// <summary>The Medusa store the chart deploys takes an order end to end (issue 15).</summary>
public sealed class MedusaStoreTests(MedusaStore store, ITestOutputHelper output) : IClassFixture<MedusaStore>
{
    [Fact]
    public async Task A_customer_buys_the_seeded_product_and_the_owner_sees_the_order_in_the_admin_over_plain_http()
    {
        output.WriteLine(store.Report());
        using var shopper = new Shopper(store);
        using var owner = new ShopOwner(store);

        var checkout = Stopwatch.StartNew();
        var order = await shopper.BuyAsync("ada@example.com", quantity: 2);
        store.OrderPlaced(checkout.Elapsed);
        await owner.LogInAsync();
        var orders = await owner.OrdersAsync();

        var listed = Assert.Single(orders, o => (string?)o!["id"] == order.Id)!;
        Assert.Equal(order.Email, (string?)listed["email"]);
        Assert.Equal(order.Total, (decimal)listed["total"]!);
        Assert.Equal(order.Quantity, (int)Assert.Single(listed["items"]!.AsArray())!["quantity"]!);
        output.WriteLine(store.Report());
    }

    [Fact]
    public async Task Seeding_a_second_time_exits_zero_and_duplicates_nothing()
    {
        output.WriteLine(store.Report());
        using var owner = new ShopOwner(store);
        await owner.LogInAsync();
        var before = await owner.SeededCountsAsync();

        var (exitCode, seedOutput) = await store.RunSeedAsync();
        var after = await owner.SeededCountsAsync();

        Assert.True(exitCode == 0, $"the second seed exited with {exitCode}:\n{seedOutput}");
        Assert.Contains("exists", seedOutput, StringComparison.Ordinal);
        Assert.All(before, count => Assert.True(count.Value >= 1, $"the seed created no {count.Key}"));
        Assert.Equal(before, after);
        output.WriteLine(store.Report());
    }

    [Fact]
    public async Task The_worker_keeps_running_while_the_server_is_down_and_the_order_is_there_after_a_restart()
    {
        output.WriteLine(store.Report());
        using var shopper = new Shopper(store);
        var checkout = Stopwatch.StartNew();
        var order = await shopper.BuyAsync("grace@example.com", quantity: 1);
        store.OrderPlaced(checkout.Elapsed);

        await store.StopServerAsync();
        await store.Worker.WaitHealthyAsync(store.WorkerPort, TimeSpan.FromSeconds(10));
        Assert.False(store.Worker.HasExited, $"the worker exited when the server stopped:\n{store.Worker.Output}");
        await store.StartServerAsync();
        using var owner = new ShopOwner(store);
        await owner.LogInAsync();
        var orders = await owner.OrdersAsync();

        var listed = Assert.Single(orders, o => (string?)o!["id"] == order.Id)!;
        Assert.Equal(order.Email, (string?)listed["email"]);
        output.WriteLine(store.Report());
    }
}

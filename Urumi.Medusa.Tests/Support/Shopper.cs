using System.Globalization;
using System.Text.Json.Nodes;

namespace Urumi.Medusa.Tests.Support;

/// <summary>What a completed checkout returned.</summary>
public sealed record PlacedOrder(string Id, string Email, decimal Total, int Quantity);

/// <summary>A customer buying through the Store API with the seeded publishable key, asserting every answer.</summary>
public sealed class Shopper(MedusaStore store) : IDisposable
{
    private static readonly object Address = new
    {
        first_name = "Ada",
        last_name = "Lovelace",
        address_1 = "1 Hauptstrasse",
        city = "Berlin",
        country_code = "de",
        postal_code = "10115",
    };

    private readonly JsonApi _api = new JsonApi(store.ServerPort, store.Chart.Url, new Dictionary<string, string>())
        .With("x-publishable-api-key", store.PublishableKey);

    public async Task<PlacedOrder> BuyAsync(string email, int quantity)
    {
        var price = decimal.Parse(store.SeedEnv("SEED_PRODUCT_PRICE"), CultureInfo.InvariantCulture);
        var region = await SeededRegionAsync();
        var variant = await SeededVariantAsync(region, price);
        var cart = await CartWithItemAsync(region, variant, quantity);
        await SetCustomerAsync(cart, email);
        var shipping = await ChooseShippingAsync(cart);
        var expectedTotal = (price * quantity) + shipping;
        await PayWithDefaultProviderAsync(cart, expectedTotal);

        var completed = await _api.OkAsync(_api.PostAsync($"/store/carts/{cart}/complete"));
        Assert.Equal("order", (string?)completed["type"]);
        var order = completed["order"]!;
        Assert.Equal(email, (string?)order["email"]);
        Assert.Equal(expectedTotal, (decimal)order["total"]!);
        Assert.Equal(shipping, (decimal)order["shipping_total"]!);
        Assert.Equal(store.SeedEnv("SEED_CURRENCY"), (string?)order["currency_code"]);
        var item = Assert.Single(order["items"]!.AsArray())!;
        Assert.Equal(store.SeedEnv("SEED_PRODUCT_TITLE"), (string?)item["product_title"]);
        Assert.Equal(quantity, (int)item["quantity"]!);
        Assert.Equal(price, (decimal)item["unit_price"]!);
        return new PlacedOrder((string)order["id"]!, email, expectedTotal, quantity);
    }

    private async Task<string> SeededRegionAsync()
    {
        var answer = await _api.GetAsync("/store/regions");
        Assert.Equal(store.Chart.Url, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var regions = answer.Json["regions"]!.AsArray();
        var region = Assert.Single(regions, r => (string?)r!["name"] == store.SeedEnv("SEED_REGION_NAME"))!;
        Assert.Equal(store.SeedEnv("SEED_CURRENCY"), (string?)region["currency_code"]);
        return (string)region["id"]!;
    }

    private async Task<string> SeededVariantAsync(string region, decimal price)
    {
        var handle = store.SeedEnv("SEED_PRODUCT_HANDLE");
        var listed = await _api.OkAsync(_api.GetAsync($"/store/products?handle={handle}&region_id={region}"));
        var product = Assert.Single(listed["products"]!.AsArray())!;
        Assert.Equal(store.SeedEnv("SEED_PRODUCT_TITLE"), (string?)product["title"]);
        var variant = Assert.Single(product["variants"]!.AsArray())!;
        Assert.Equal(price, (decimal)variant["calculated_price"]!["calculated_amount"]!);
        return (string)variant["id"]!;
    }

    private async Task<string> CartWithItemAsync(string region, string variant, int quantity)
    {
        var created = (await _api.OkAsync(_api.PostAsync("/store/carts", new { region_id = region })))["cart"]!;
        Assert.Equal(region, (string?)created["region_id"]);
        var cart = (string)created["id"]!;
        var added = (await _api.OkAsync(_api.PostAsync($"/store/carts/{cart}/line-items", new { variant_id = variant, quantity })))["cart"]!;
        var item = Assert.Single(added["items"]!.AsArray())!;
        Assert.Equal(variant, (string?)item["variant_id"]);
        Assert.Equal(quantity, (int)item["quantity"]!);
        return cart;
    }

    private async Task SetCustomerAsync(string cart, string email)
    {
        var updated = (await _api.OkAsync(_api.PostAsync($"/store/carts/{cart}",
            new { email, shipping_address = Address, billing_address = Address })))["cart"]!;
        Assert.Equal(email, (string?)updated["email"]);
        Assert.Equal("de", (string?)updated["shipping_address"]!["country_code"]);
        Assert.Equal("Berlin", (string?)updated["billing_address"]!["city"]);
    }

    /// <summary>Chooses the seeded shipping option and returns its price.</summary>
    private async Task<decimal> ChooseShippingAsync(string cart)
    {
        var options = await _api.OkAsync(_api.GetAsync($"/store/shipping-options?cart_id={cart}"));
        var option = Assert.Single(options["shipping_options"]!.AsArray(), o => (string?)o!["name"] == "Standard shipping")!;
        var chosen = (await _api.OkAsync(_api.PostAsync($"/store/carts/{cart}/shipping-methods",
            new { option_id = (string)option["id"]! })))["cart"]!;
        var method = Assert.Single(chosen["shipping_methods"]!.AsArray())!;
        Assert.Equal((string?)option["id"], (string?)method["shipping_option_id"]);
        return (decimal)method["amount"]!;
    }

    private async Task PayWithDefaultProviderAsync(string cart, decimal total)
    {
        var collection = (await _api.OkAsync(_api.PostAsync("/store/payment-collections", new { cart_id = cart })))["payment_collection"]!;
        Assert.Equal(total, (decimal)collection["amount"]!);
        var providers = await _api.OkAsync(_api.GetAsync($"/store/payment-providers?region_id={await SeededRegionAsync()}"));
        var provider = (string)Assert.Single(providers["payment_providers"]!.AsArray())!["id"]!;
        Assert.Equal("pp_system_default", provider);
        var session = (await _api.OkAsync(_api.PostAsync($"/store/payment-collections/{collection["id"]}/payment-sessions",
            new { provider_id = provider })))["payment_collection"]!;
        Assert.Contains(session["payment_sessions"]!.AsArray(), s => (string?)s!["provider_id"] == provider);
    }

    public void Dispose() => _api.Dispose();
}

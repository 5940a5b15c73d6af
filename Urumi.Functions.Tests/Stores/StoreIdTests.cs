using k8s.Models;
using Urumi.Functions.Provisioning;
using Urumi.Functions.Stores;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Stores;

/// <summary>Store ids, their reservation and Idempotency-Key records, and whose a namespace is.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class StoreIdTests(AzuriteFixture fixture)
{
    [Fact]
    public void A_new_id_is_the_name_and_12_random_characters_and_fits_a_helm_release_name_and_a_dns_label()
    {
        var generator = new RandomStoreIds();
        var longest = new string('n', 40);

        var ids = Enumerable.Range(0, 1000).Select(_ => generator.NewId("shop")).ToList();
        var id = generator.NewId(longest);

        Assert.Equal(1000, ids.Distinct().Count());
        Assert.All(ids, i => Assert.Matches("^shop-[a-z0-9]{12}$", i));
        Assert.Equal(53, id.Length);
        Assert.True(StoreRequestBody.IsStoreId(id));
    }

    [Fact]
    public void The_scripted_generator_hands_out_its_ids_in_order_then_random_ones()
    {
        var generator = new ScriptedStoreIds(["shop-aaaaaaaaaaaa", "shop-aaaaaaaaaaaa"]);

        var ids = new[] { generator.NewId("x"), generator.NewId("y"), generator.NewId("zzz") };

        Assert.Equal(["shop-aaaaaaaaaaaa", "shop-aaaaaaaaaaaa"], ids[..2]);
        Assert.Matches("^zzz-[a-z0-9]{12}$", ids[2]);
    }

    [Fact]
    public async Task An_id_is_reserved_once_across_all_owners()
    {
        var registry = new StoreRegistry(fixture.Azurite.ConnectionString, "ids" + Guid.NewGuid().ToString("N")[..10]);
        var now = DateTimeOffset.UtcNow;

        var results = await Task.WhenAll(
            registry.ReserveIdAsync("shop-aaaaaaaaaaaa", "alice", now),
            registry.ReserveIdAsync("shop-aaaaaaaaaaaa", "bob", now),
            registry.ReserveIdAsync("shop-aaaaaaaaaaaa", "alice", now));

        Assert.Single(results, reserved => reserved);
        Assert.True(await registry.ReserveIdAsync("shop-bbbbbbbbbbbb", "bob", now));
    }

    [Fact]
    public async Task An_Idempotency_Key_is_recorded_once_per_owner_and_the_first_record_wins()
    {
        var registry = new StoreRegistry(fixture.Azurite.ConnectionString, "keys" + Guid.NewGuid().ToString("N")[..10]);
        var now = DateTimeOffset.UtcNow;
        const string key = "order/1#?\\ with characters a row key may not hold";

        var first = await registry.RecordIdempotencyKeyAsync("alice", key, new IdempotencyRecord("one-aaaaaaaaaaaa", "one"), now);
        var second = await registry.RecordIdempotencyKeyAsync("alice", key, new IdempotencyRecord("two-bbbbbbbbbbbb", "two"), now);
        var bobs = await registry.RecordIdempotencyKeyAsync("bob", key, new IdempotencyRecord("one-cccccccccccc", "one"), now);

        Assert.Equal(first, second);
        Assert.Equal(new IdempotencyRecord("one-aaaaaaaaaaaa", "one"), await registry.FindIdempotencyKeyAsync("alice", key));
        Assert.Equal(new IdempotencyRecord("one-cccccccccccc", "one"), bobs);
        Assert.Null(await registry.FindIdempotencyKeyAsync("carol", key));
    }

    public static TheoryData<string, Dictionary<string, string>?, Ownership> Namespaces => new()
    {
        { "none", null, Ownership.Missing },
        { "this store's", Labels("shop-aaaaaaaaaaaa", "a_b"), Ownership.Ours },
        { "another owner's", Labels("shop-aaaaaaaaaaaa", "bob"), Ownership.Foreign },
        { "another store's", Labels("shop-bbbbbbbbbbbb", "a_b"), Ownership.Foreign },
        { "not urumi's", new() { [StoreResources.StoreIdLabel] = "shop-aaaaaaaaaaaa", [StoreResources.OwnerLabel] = "a_b" }, Ownership.Foreign },
        { "unlabelled", new(), Ownership.Foreign },
    };

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void A_namespace_is_the_stores_own_only_with_its_managed_by_store_id_and_owner_labels(string what, Dictionary<string, string>? labels, Ownership expected)
    {
        var ns = labels is null ? null : new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop-aaaaaaaaaaaa", Labels = labels } };

        var ownership = NamespaceOwnership.Of(ns, new StoreTarget("shop-aaaaaaaaaaaa", "a b"));

        Assert.True(expected == ownership, $"{what}: {ownership}, not {expected}");
    }

    private static Dictionary<string, string> Labels(string storeId, string owner) => new()
    {
        [StoreResources.ManagedByLabel] = StoreResources.ManagedBy,
        [StoreResources.StoreIdLabel] = storeId,
        [StoreResources.OwnerLabel] = owner,
    };
}

namespace Urumi.Functions.Stores;

/// <summary>
/// TEST ONLY: hands out the ids listed in the environment variable <see cref="Variable"/> (comma-separated), in
/// order and whatever the name, then random ones; a test uses it to make one owner's request propose another's
/// id. It is read from the process environment only (not from Urumi:* settings), and announced on standard error
/// at start. Isolation never rests on the ids being random: a proposed id that is taken is refused by its
/// reservation, so all it can do is make the listed ids predictable.
/// </summary>
public sealed class ScriptedStoreIds(IEnumerable<string> ids) : IStoreIdGenerator
{
    public const string Variable = "URUMI_TEST_STORE_IDS";
    private readonly Queue<string> _ids = new(ids);
    private readonly RandomStoreIds _random = new();

    public string NewId(string name)
    {
        lock (_ids)
        {
            return _ids.TryDequeue(out var id) ? id : _random.NewId(name);
        }
    }

    /// <summary>The generator the process uses: random, unless <see cref="Variable"/> is set.</summary>
    public static IStoreIdGenerator FromEnvironment()
    {
        var script = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(script))
        {
            return new RandomStoreIds();
        }
        var ids = script.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.FirstOrDefault(id => !StoreRequestBody.IsStoreId(id)) is { } invalid)
        {
            throw new InvalidOperationException($"{Variable}: '{invalid}' is not a store id (a DNS-1123 label)");
        }
        Console.Error.WriteLine($"TEST ONLY: {Variable} is set: the next {ids.Length} store ids are scripted");
        return new ScriptedStoreIds(ids);
    }
}


namespace Urumi.Samples;

/// <summary>N activities in parallel (N from the input); the output is the sum of their results.</summary>
public static class FanOutFanIn
{
    [Function(nameof(FanOutFanIn))]
    public static async Task<long> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var n = context.GetInput<int?>() ?? 10;
        var work = Enumerable.Range(1, n).Select(i => context.CallActivityAsync<long>(nameof(Square), i));
        var results = await Task.WhenAll(work);
        return results.Sum();
    }

    [Function(nameof(Square))]
    public static long Square([ActivityTrigger] int x) => (long)x * x;
}


namespace Urumi.Samples;

/// <summary>Five activities in sequence; their five results are the output.</summary>
public static class HelloSequence
{
    [Function(nameof(HelloSequence))]
    public static async Task<List<string>> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<HelloSequenceInput>() ?? new HelloSequenceInput();
        var results = new List<string>();
        foreach (var city in input.Cities ?? ["Tokyo", "Seattle", "London", "Cairo", "Lima"])
        {
            results.Add(await context.CallActivityAsync<string>(nameof(SayHello), new SayHelloInput(city, input.DelayMs)));
        }
        return results;
    }

    /// <summary>Greets a city; <c>DelayMs</c> simulates work that takes time.</summary>
    [Function(nameof(SayHello))]
    public static async Task<string> SayHello([ActivityTrigger] SayHelloInput input, CancellationToken ct)
    {
        if (input.DelayMs > 0)
        {
            await Task.Delay(input.DelayMs, ct);
        }
        return $"Hello {input.City}!";
    }
}

public sealed record HelloSequenceInput(string[]? Cities = null, int DelayMs = 0);

public sealed record SayHelloInput(string City, int DelayMs = 0);

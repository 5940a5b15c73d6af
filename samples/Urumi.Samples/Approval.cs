
namespace Urumi.Samples;

/// <summary>Waits for the external event "Approval" (bool) racing a timer of input seconds (default 300).</summary>
public static class Approval
{
    [Function(nameof(Approval))]
    public static async Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var seconds = context.GetInput<double?>() ?? 300;
        context.SetCustomStatus("waiting for approval");
        try
        {
            var approved = await context.WaitForExternalEvent<bool>("Approval", TimeSpan.FromSeconds(seconds));
            return approved ? "approved" : "rejected";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

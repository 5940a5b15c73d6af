using System.Net;
using System.Text.RegularExpressions;

namespace Urumi.Testing;

/// <summary>
/// A storage outage that strands an activity message in DurableTask.AzureStorage's in-flight set: once the app has
/// started an activity (<paramref name="activityRunning"/>), Azurite stops, and stays down until the app has seen it down and an activity's
/// abandon has failed (DurableTask.Core's ProcessWorkItemFailed for the activity dispatcher's AbortWorkItem step), then
/// starts again on the same ports.
/// </summary>
public static partial class StorageOutage
{
    public const string RecycleLog = "recycling: DurableTask.AzureStorage dropped activity message";

    public static async Task StrandAnActivityAsync(AzuriteServer azurite, FunctionApp app, Func<Task<bool>> activityRunning)
    {
        await Eventually.Until(activityRunning, running => running, TimeSpan.FromSeconds(120), "an activity to run");
        var outageStart = app.Output.Length;
        await azurite.RestartAsync(whileDown: async () =>
        {
            await Eventually.Until(async () => (await app.Http.GetAsync("/health")).StatusCode,
                s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the app to see storage down");
            await Eventually.Until(() => Task.FromResult(app.Output[outageStart..]),
                output => AbandonFailed().IsMatch(output), TimeSpan.FromSeconds(150), "an activity's abandon to fail");
        });
    }

    [GeneratedRegex(@"TaskActivityDispatcher[^\n]*Unhandled exception with work item .*?\n\s*AbortWorkItem", RegexOptions.Singleline)]
    private static partial Regex AbandonFailed();
}

using Azure;
using DurableTask.AzureStorage;
using Urumi.Hosting.Worker;

namespace Urumi.Hosting.Tests.Worker;

public sealed class ExpiredMessageBackoffTests
{
    private static readonly ExpiredMessageBackoff Service = new(new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
    {
        TaskHubName = "BackoffTests",
        StorageAccountClientProvider = new StorageAccountClientProvider("UseDevelopmentStorage=true"),
    }));

    public static TheoryData<string, Exception, int> Failures => new()
    {
        // As DurableTask.AzureStorage wraps them: its storage exception around the Azure SDK's.
        { "a delete whose pop receipt no longer matches", Wrapped(new RequestFailedException(400, "The specified pop receipt did not match", "PopReceiptMismatch", null)), 0 },
        { "a delete of a message a redelivery deleted", Wrapped(new RequestFailedException(404, "The specified message does not exist.", "MessageNotFound", null)), 0 },
        { "several, all of them expired", new AggregateException(Wrapped(new RequestFailedException(400, "x", "PopReceiptMismatch", null)),
            Wrapped(new RequestFailedException(404, "y", "MessageNotFound", null))), 0 },
        { "an expired one beside a real failure", new AggregateException(new TimeoutException(), Wrapped(new RequestFailedException(400, "x", "PopReceiptMismatch", null))), 10 },
        { "storage not answering", Wrapped(new RequestFailedException(503, "Server busy", "ServerBusy", null)), 10 },
        { "a connection refused", Wrapped(new RequestFailedException("Connection refused")), 10 },
        { "anything else", new InvalidOperationException("boom"), 10 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_work_item_that_failed_only_because_its_message_expired_backs_the_dispatcher_off_for_nothing(string what, Exception failure, int seconds)
    {
        Assert.True(seconds == Service.GetDelayInSecondsAfterOnProcessException(failure), what);
    }

    [Fact]
    public void A_fetch_failure_keeps_the_services_own_back_off()
    {
        var expired = Wrapped(new RequestFailedException(400, "x", "PopReceiptMismatch", null));

        Assert.Equal(new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = "BackoffTests",
            StorageAccountClientProvider = new StorageAccountClientProvider("UseDevelopmentStorage=true"),
        }).GetDelayInSecondsAfterOnFetchException(expired), Service.GetDelayInSecondsAfterOnFetchException(expired));
    }

    private static Exception Wrapped(RequestFailedException e) => new InvalidOperationException("An error occurred while communicating with Azure Storage", e);
}

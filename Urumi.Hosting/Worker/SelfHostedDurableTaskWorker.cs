using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Configuration;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The SDK's worker, built by its worker builder (UseBuildTarget), running the registered functions on DurableTask.Core:
/// a <see cref="TaskHubWorker"/> over the process's orchestration service (DurableTask.AzureStorage), with each
/// orchestration and activity made by the SDK's factory and wrapped by the SDK's <see cref="DurableTaskShimFactory"/>,
/// so replay, retries, timers, events, sub-orchestrations and failure details are the SDK's. Failures travel as
/// FailureDetails (exception type, message, stack, inner failure). On host shutdown running activities are cancelled
/// and abandoned, and the TaskHubWorker stops, giving its partitions to the other workers.
/// <para>
/// Recycling: when <see cref="StuckActivityMessageListener"/> sees DurableTask.AzureStorage drop the same activity
/// message twice (a completion or abandon that failed while storage was down left it in the service's in-flight set,
/// which only a new service instance clears), the worker stops its TaskHubWorker as on shutdown and starts a new one
/// over a new AzureStorageOrchestrationService with the same settings, in this process. A work item that failed only
/// because its message's visibility timeout had passed backs its dispatcher off for nothing (<see cref="ExpiredMessageBackoff"/>).
/// </para>
/// </summary>
public sealed class SelfHostedDurableTaskWorker(
    string name,
    IDurableTaskFactory factory,
    IOrchestrationService orchestrationService,
    IServiceProvider services,
    FunctionIndex index,
    IOptionsMonitor<DurableTaskWorkerOptions> options,
    IOptions<DurableTaskHubOptions> hub,
    ILoggerFactory loggerFactory) : DurableTaskWorker(name, factory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SelfHostedDurableTaskWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var hubName = hub.Value.HubName;
        using var stuck = new StuckActivityMessageListener(hubName);
        var service = orchestrationService;
        while (await RunUntilStuckAsync(service, hubName, stuck.Stuck, stoppingToken) is { } messageId)
        {
            stuck.Reset();
            service = new AzureStorageOrchestrationService(hub.Value.ToServiceSettings(loggerFactory));
        }
    }

    /// <summary>Runs one TaskHubWorker until the host stops (null) or a message is stuck (its id).</summary>
    private async Task<string?> RunUntilStuckAsync(
        IOrchestrationService service, string hubName, Task<string> stuck, CancellationToken stoppingToken)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var worker = CreateWorker(service, running.Token);
        await service.CreateIfNotExistsAsync();
        await worker.StartAsync();
        WorkerLogs.WorkerStarted(_logger, hubName, index.Orchestrators.Count(), index.Activities.Count());
        await Task.WhenAny(stuck, Task.Delay(Timeout.Infinite, stoppingToken));
        var messageId = stoppingToken.IsCancellationRequested ? null : await stuck;
        if (messageId is null)
        {
            WorkerLogs.WorkerStopping(_logger, hubName);
        }
        else
        {
            WorkerLogs.WorkerRecycling(_logger, hubName, messageId);
        }
        await running.CancelAsync();
        await worker.StopAsync(isForced: false);
        worker.Dispose();
        WorkerLogs.WorkerStopped(_logger, hubName);
        return messageId;
    }

    private TaskHubWorker CreateWorker(IOrchestrationService service, CancellationToken running)
    {
        var shims = new DurableTaskShimFactory(options.Get(Name), loggerFactory);
        var worker = new TaskHubWorker(
            new ExpiredMessageBackoff(service),
            new OrchestrationObjectManager(Factory, services, shims),
            new ActivityObjectManager(Factory, services.GetRequiredService<IServiceScopeFactory>(), shims, running),
            loggerFactory)
        {
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        worker.AddOrchestrationDispatcherMiddleware(ParentAwareOrchestration.BindAsync);
        return worker;
    }
}

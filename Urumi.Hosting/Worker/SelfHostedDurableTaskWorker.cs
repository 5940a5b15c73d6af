using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Urumi.Hosting.Worker;

/// <summary>
/// The SDK's worker, built by its worker builder (UseBuildTarget), running the registered functions on DurableTask.Core:
/// a <see cref="TaskHubWorker"/> over the process's orchestration service (DurableTask.AzureStorage), with each
/// orchestration and activity made by the SDK's factory and wrapped by the SDK's <see cref="DurableTaskShimFactory"/>,
/// so replay, retries, timers, events, sub-orchestrations and failure details are the SDK's. Failures travel as
/// FailureDetails (exception type, message, stack, inner failure). On host shutdown running activities are cancelled
/// and abandoned, and the TaskHubWorker stops, giving its partitions to the other workers.
/// </summary>
public sealed class SelfHostedDurableTaskWorker(
    string name,
    IDurableTaskFactory factory,
    IOrchestrationService orchestrationService,
    IServiceProvider services,
    FunctionIndex index,
    IOptionsMonitor<DurableTaskWorkerOptions> options,
    ILoggerFactory loggerFactory) : DurableTaskWorker(name, factory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SelfHostedDurableTaskWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var shims = new DurableTaskShimFactory(options.Get(Name), loggerFactory);
        var worker = new TaskHubWorker(
            orchestrationService,
            new OrchestrationObjectManager(Factory, services, shims),
            new ActivityObjectManager(Factory, services.GetRequiredService<IServiceScopeFactory>(), shims, stoppingToken),
            loggerFactory)
        {
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };
        worker.AddOrchestrationDispatcherMiddleware(ParentAwareOrchestration.BindAsync);
        await orchestrationService.CreateIfNotExistsAsync();
        await worker.StartAsync();
        WorkerLogs.WorkerStarted(_logger, Name, index.Orchestrators.Count(), index.Activities.Count());
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            WorkerLogs.WorkerStopping(_logger, Name);
        }
        await worker.StopAsync(isForced: false);
        worker.Dispose();
        WorkerLogs.WorkerStopped(_logger, Name);
    }
}

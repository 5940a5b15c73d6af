using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Urumi.Testing;
using Xunit.Abstractions;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>
/// extendedSessionsEnabled as the self-host applies it: with it, an orchestration stays loaded between its episodes and
/// its history is read from storage once; without it, once per episode. DurableTask.AzureStorage logs each read
/// (FetchedInstanceHistory, event 110), which is what these tests count.
/// </summary>
public sealed class ExtendedSessionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task With_extended_sessions_an_orchestration_reads_its_history_once_however_many_episodes_it_has()
    {
        var reads = new HistoryReads();
        await using var worker = await DurableWorkerHost.StartAsync(_azurite, durableSettings: new Dictionary<string, string> { ["extendedSessionsEnabled"] = "true" }, logs: reads);

        var instance = await worker.StartAsync(nameof(TestOrchestrations.Sequence), new GreetInput(["Tokyo", "Seattle", "London"], "Hello"));
        var output = await worker.OutputAsync<List<string>>(instance);

        Assert.Equal(["Hello Tokyo!", "Hello Seattle!", "Hello London!"], output);
        Assert.Equal(1, reads.Of(instance.InstanceId));
    }

    [Fact]
    public async Task Without_extended_sessions_an_orchestration_reads_its_history_at_every_episode()
    {
        var reads = new HistoryReads();
        await using var worker = await DurableWorkerHost.StartAsync(_azurite, durableSettings: new Dictionary<string, string> { ["extendedSessionsEnabled"] = "false" }, logs: reads);

        var instance = await worker.StartAsync(nameof(TestOrchestrations.Sequence), new GreetInput(["Tokyo", "Seattle", "London"], "Hello"));
        await worker.OutputAsync<List<string>>(instance);

        // The start and the three activities' results: four episodes, four reads.
        Assert.True(reads.Of(instance.InstanceId) >= 4, $"{reads.Of(instance.InstanceId)} history reads");
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task A_worker_with_an_orchestration_waiting_for_an_event_stops_within_the_dispatchers_grace_period(string extendedSessions)
    {
        var worker = await DurableWorkerHost.StartAsync(_azurite, durableSettings: new Dictionary<string, string> { ["extendedSessionsEnabled"] = extendedSessions });
        var instance = await worker.StartAsync(nameof(TestOrchestrations.Approval), input: null);
        await Eventually.Until(() => worker.Client.GetOrchestrationStateAsync(instance), s => s?.OrchestrationStatus == DurableTask.Core.OrchestrationStatus.Running,
            TimeSpan.FromSeconds(30), "the orchestration to wait for its event");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await worker.DisposeAsync();
        output.WriteLine($"extendedSessionsEnabled {extendedSessions}: stopped in {watch.Elapsed.TotalSeconds:F1} s");

        // DurableTask.Core's orchestration dispatcher waits up to 8 s for work items to end; an idle session is one
        // until the orchestration service stops, so a graceful stop costs up to that, not the 30 s idle timeout.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"stopping took {watch.Elapsed}");
    }

    /// <summary>Counts DurableTask.AzureStorage's FetchedInstanceHistory events per instance.</summary>
    private sealed class HistoryReads : ILoggerProvider
    {
        private const int FetchedInstanceHistory = 110;
        private readonly ConcurrentDictionary<string, int> _reads = new();

        public int Of(string instanceId) => _reads.GetValueOrDefault(instanceId);

        public ILogger CreateLogger(string categoryName) => new Counter(this, categoryName == "DurableTask.AzureStorage");

        public void Dispose()
        {
        }

        private sealed class Counter(HistoryReads reads, bool engine) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => engine;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (engine && eventId.Id == FetchedInstanceHistory && state is IReadOnlyDictionary<string, object> fields
                    && fields.TryGetValue("InstanceId", out var id) && id is string instanceId)
                {
                    reads._reads.AddOrUpdate(instanceId, 1, (_, n) => n + 1);
                }
            }
        }
    }
}

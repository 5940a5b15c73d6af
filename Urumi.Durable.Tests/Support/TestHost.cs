using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Urumi.Durable.Client;
using Urumi.Durable.Hosting;
using Urumi.Durable.Storage;
using Urumi.Durable.Storage.InMemory;
using Urumi.Durable.Worker;

namespace Urumi.Durable.Tests.Support;

/// <summary>Runs whole orchestrations in process on a given backend (in memory unless told otherwise).</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private TestHost(IHost host, ITaskHubStorage storage)
    {
        _host = host;
        Storage = storage;
    }

    public ITaskHubStorage Storage { get; }

    public DurableTaskClient Client => _host.Services.GetRequiredService<DurableTaskClient>();

    public DurableWorker Worker => _host.Services.GetRequiredService<DurableWorker>();

    public static async Task<TestHost> StartAsync(Type[] functions, ITaskHubStorage? storage = null, Action<DurableTaskOptions>? configure = null)
    {
        storage ??= new InMemoryTaskHubStorage();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("URUMI_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug);
        }
        builder.Services.AddDurableTask(functions, _ => storage);
        builder.Services.Configure<DurableTaskOptions>(o =>
        {
            o.MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(o);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new TestHost(host, storage);
    }

    public async Task<OrchestrationMetadata> RunAsync(string name, object? input = null, string? instanceId = null, TimeSpan? timeout = null)
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(instanceId));
        return await WaitAsync(id, timeout);
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

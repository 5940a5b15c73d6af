using Urumi.Testing;

namespace Urumi.Hosting.Tests.Worker;

/// <summary>One Azurite and one running worker host (its own task hub) shared by a test class.</summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    private AzuriteServer? _azurite;

    public DurableWorkerHost Worker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        Worker = await DurableWorkerHost.StartAsync(_azurite);
    }

    public async Task DisposeAsync()
    {
        await Worker.DisposeAsync();
        await _azurite!.DisposeAsync();
    }
}

using Urumi.Testing;

namespace Urumi.Samples.Tests;

/// <summary>One Azurite and one samples app process shared by a test class.</summary>
public sealed class SamplesAppFixture : IAsyncLifetime
{
    public AzuriteServer Azurite { get; private set; } = null!;

    public FunctionApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteServer.StartAsync();
        App = await FunctionApp.StartAsync(Azurite.ConnectionString, "ContractHub");
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Urumi.Hosting.Client;
using Urumi.Hosting.Management;
using Urumi.Hosting.Tests.Client;

namespace Urumi.Hosting.Tests.Management;

/// <summary>
/// The management API in a WebApplication on a loopback port, over the DI-registered client on the real engine, with
/// an admin-key filter standing in for the host's key check.
/// </summary>
public sealed class ManagementApiHost : IAsyncLifetime
{
    public const string AdminKeyHeader = "x-admin-key";
    public const string AdminKey = "test-admin-key";
    public const string ApprovalEvent = "Approval";
    private WebApplication? _app;

    public DurableTaskEngine Engine { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Engine.InitializeAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddDurableTaskClient(b => b.UseOrchestrationService(_ => Engine.Service));
        builder.Services.AddSingleton(new KnownOrchestrators([
            TestOrchestrations.Greeting,
            TestOrchestrations.Approval,
            TestOrchestrations.Failing,
            TestOrchestrations.Parent,
        ]));
        builder.Services.AddSingleton(new KnownEvents().Add<Decision>(TestOrchestrations.Approval, ApprovalEvent));
        _app = builder.Build();
        _app.MapDurableTaskManagementApi().AddEndpointFilter(async (context, next) =>
            context.HttpContext.Request.Headers[AdminKeyHeader] == AdminKey
                ? await next(context)
                : Results.Problem(
                    statusCode: 401, title: "Admin key required", type: "https://urumi.dev/problems/unauthorized"));
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        var address = addresses.Addresses.First();
        BaseAddress = new Uri(address);
        Http = new HttpClient { BaseAddress = BaseAddress };
        Http.DefaultRequestHeaders.Add(AdminKeyHeader, AdminKey);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Engine.DisposeAsync();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Hosting;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Http;
using Urumi.Samples;

namespace Urumi.Samples.Tests;

public sealed class HostConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("urumi-host-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Host_json_and_local_settings_configure_the_engine_like_func_start()
    {
        Write("host.json", """
            {
              "version": "2.0",
              "logging": { "logLevel": { "default": "Warning" } },
              "extensions": {
                "http": { "routePrefix": "v1" },
                "durableTask": {
                  "hubName": "ConfiguredHub",
                  "maxConcurrentActivityFunctions": 7,
                  "maxConcurrentOrchestratorFunctions": 9,
                  "storageProvider": { "partitionCount": 3, "maxQueuePollingInterval": "00:00:00.500" }
                }
              }
            }
            """);
        Write("local.settings.json", """
            { "IsEncrypted": false, "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Auth:AdminKey": "from-local-settings", "Auth__Keys__bob": "bob-key" } }
            """);

        await using var app = SelfHost.CreateBuilder(["--urls", "http://127.0.0.1:0"], _root, [typeof(HelloSequence), typeof(Starter)]).Build();
        var options = app.Services.GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

        Assert.Equal("ConfiguredHub", options.HubName);
        Assert.Equal(3, options.StorageProvider.PartitionCount);
        Assert.Equal(7, options.MaxConcurrentActivityFunctions);
        Assert.Equal(9, options.MaxConcurrentOrchestratorFunctions);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.StorageProvider.MaxQueuePollingInterval);
        Assert.Equal("from-local-settings", app.Services.GetRequiredService<FunctionKeys>().AdminKey);
        Assert.Equal("bob-key", app.Configuration["Auth:Keys:bob"]);
        Assert.Equal("v1", app.Configuration["AzureFunctionsJobHost:extensions:http:routePrefix"]);
        Assert.Equal("Warning", app.Configuration["Logging:LogLevel:Default"]);
    }

    [Fact]
    public async Task Command_line_and_environment_settings_override_local_settings()
    {
        Write("local.settings.json", """{ "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Auth:AdminKey": "local" } }""");

        await using var app = SelfHost.CreateBuilder(["--Auth:AdminKey=override"], _root, [typeof(HelloSequence), typeof(Starter)]).Build();

        Assert.Equal("override", app.Services.GetRequiredService<FunctionKeys>().AdminKey);
    }

    [Fact]
    public async Task Invalid_durable_options_stop_start_up_with_a_message()
    {
        Write("host.json", """{ "extensions": { "durableTask": { "hubName": "no spaces allowed", "storageProvider": { "partitionCount": 40 } } } }""");
        Write("local.settings.json", """{ "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true" } }""");

        await using var app = SelfHost.CreateBuilder(["--urls", "http://127.0.0.1:0"], _root, [typeof(HelloSequence), typeof(Starter)]).Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("hubName", e.Message);
        Assert.Contains("partitionCount", e.Message);
    }

    [Fact]
    public async Task A_missing_storage_connection_stops_start_up_saying_what_to_set()
    {
        await using var app = SelfHost.CreateBuilder(["--urls", "http://127.0.0.1:0"], _root, [typeof(HelloSequence), typeof(Starter)]).Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("AzureWebJobsStorage", e.Message);
    }

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_root, name), content);
}

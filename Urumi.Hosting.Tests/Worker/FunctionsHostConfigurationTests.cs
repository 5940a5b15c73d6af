using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Configuration;

namespace Urumi.Hosting.Tests.Worker;

public sealed class FunctionsHostConfigurationTests : IDisposable
{
    private readonly DirectoryInfo _app = Directory.CreateTempSubdirectory("urumi-host-config-");

    [Fact]
    public void Host_json_and_local_settings_are_read_as_func_start_reads_them_and_feed_the_durable_settings()
    {
        File.WriteAllText(Path.Combine(_app.FullName, "host.json"), """
            {
              "version": "2.0",
              // comments and trailing commas are allowed, as in the Functions host
              "logging": { "logLevel": { "default": "Warning", "Urumi": "Debug" } },
              "extensions": { "durableTask": { "hubName": "FromHostJson", "storageProvider": { "partitionCount": 2, } } },
            }
            """);
        File.WriteAllText(Path.Combine(_app.FullName, "local.settings.json"), """
            { "IsEncrypted": false, "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Urumi__Mode": "local", "Cli": "local" } }
            """);
        var configuration = new ConfigurationManager();

        FunctionsHostConfiguration.Apply(configuration, _app.FullName, ["--Cli=command-line"]);
        var options = new ServiceCollection().AddLogging().AddDurableTaskHub(configuration).BuildServiceProvider()
            .GetRequiredService<IOptions<DurableTaskHubOptions>>().Value;

        Assert.Equal(("Warning", "Debug"), (configuration["Logging:LogLevel:Default"], configuration["Logging:LogLevel:Urumi"]));
        Assert.Equal(("local", "command-line"), (configuration["Urumi:Mode"], configuration["Cli"]));
        Assert.Equal(("FromHostJson", 2, "UseDevelopmentStorage=true"),
            (options.HubName, options.StorageProvider.PartitionCount, options.StorageProvider.ConnectionString));
    }

    [Fact]
    public void Without_host_json_or_local_settings_only_the_environment_and_command_line_count()
    {
        var configuration = new ConfigurationManager();

        FunctionsHostConfiguration.Apply(configuration, _app.FullName, ["--AzureWebJobsStorage=from-cli"]);

        Assert.Equal("from-cli", configuration["AzureWebJobsStorage"]);
        Assert.Null(configuration[DurableTaskHubOptions.Section + ":hubName"]);
    }

    public void Dispose() => _app.Delete(recursive: true);
}

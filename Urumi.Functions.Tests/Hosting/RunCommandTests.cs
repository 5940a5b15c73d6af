using Urumi.Testing;

namespace Urumi.Functions.Tests.Hosting;

public sealed class RunCommandTests
{
    [Fact]
    public async Task Dotnet_run_starts_the_app_in_the_function_app_folder_where_host_json_and_local_settings_json_are()
    {
        // `dotnet run --project Urumi.Functions` (eng/run.sh, the README) runs in RunWorkingDirectory; the app reads
        // host.json and local.settings.json from its working directory, as `func start` does.
        var result = (await CommandLine.RunAsync("dotnet", ["msbuild", "Urumi.Functions", "-getProperty:RunWorkingDirectory"], workingDirectory: Repo.Root,
            timeout: TimeSpan.FromMinutes(2))).EnsureSuccess();

        var folder = Path.GetFullPath(result.Stdout.Trim());

        Assert.Equal(Path.GetFullPath(Repo.Root).TrimEnd('/'), folder.TrimEnd('/'));
        Assert.True(File.Exists(Path.Combine(folder, "host.json")));
        Assert.True(File.Exists(Path.Combine(folder, "local.settings.json.example")));
    }
}

using System.Text.Json.Nodes;
using Urumi.Testing;

namespace Urumi.Functions.Tests.Hosting;

public sealed class RunCommandTests
{
    [Fact]
    public async Task Dotnet_run_without_Core_Tools_self_hosts_the_app_in_the_function_app_folder_where_host_json_and_local_settings_json_are()
    {
        // `dotnet run --project Urumi.Functions` (eng/run.sh, the README) runs what ComputeRunArguments decides: the
        // Worker SDK's `func start` where Core Tools are installed (not here), else the app itself, self-hosted, in
        // the folder where it reads host.json and local.settings.json, as `func start` does.
        var result = (await CommandLine.RunAsync("dotnet", ["msbuild", "Urumi.Functions", "-t:ComputeRunArguments", "-p:Configuration=" + Repo.Configuration,
            "-getProperty:RunWorkingDirectory", "-getProperty:RunCommand", "-getProperty:RunArguments"], workingDirectory: Repo.Root,
            timeout: TimeSpan.FromMinutes(2))).EnsureSuccess();
        var run = JsonNode.Parse(result.Stdout)!["Properties"]!;

        Assert.Equal("dotnet", Path.GetFileName((string?)run["RunCommand"]));
        Assert.EndsWith("Urumi.Functions.dll\"", (string?)run["RunArguments"], StringComparison.Ordinal);
        var folder = Path.GetFullPath((string)run["RunWorkingDirectory"]!);

        Assert.Equal(Path.GetFullPath(Repo.Root).TrimEnd('/'), folder.TrimEnd('/'));
        Assert.True(File.Exists(Path.Combine(folder, "host.json")));
        Assert.True(File.Exists(Path.Combine(folder, "local.settings.json.example")));
    }

    [Fact]
    public async Task Dotnet_run_without_Core_Tools_runs_the_app_itself()
    {
        // The app, not `func start` nor an SDK error, answers: with no storage connection it stops naming the setting.
        // From a shell (eng/run.sh) DOTNET_HOST_PATH is unset; a test host would pass its own down.
        var result = await CommandLine.RunAsync("dotnet", ["run", "-c", Repo.Configuration, "--project", "Urumi.Functions", "--no-build", "--", "--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["AzureWebJobsStorage"] = "", ["DOTNET_HOST_PATH"] = "" }, Repo.Root, TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("AzureWebJobsStorage", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("runnable project", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_setting_stops_the_app_with_exit_code_2_and_one_line_naming_each_bad_setting()
    {
        var result = await CommandLine.RunAsync("dotnet", ["run", "-c", Repo.Configuration, "--project", "Urumi.Functions", "--no-build", "--", "--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
                ["Urumi__RateLimit__PermitLimit"] = "-1",
                ["Urumi__TrustedProxies"] = "10.0.0.0/99",
                ["DOTNET_HOST_PATH"] = "",
            }, Repo.Root, TimeSpan.FromMinutes(2));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The app cannot start; fix these settings:", result.Output, StringComparison.Ordinal);
        Assert.Contains("  Urumi:RateLimit:PermitLimit must be at least 1.", result.Output, StringComparison.Ordinal);
        Assert.Contains("Urumi:TrustedProxies", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Output, StringComparison.Ordinal);
    }
}

using Urumi.Testing;

namespace Urumi.Medusa.Tests.Support;

/// <summary>eng/install-medusa.sh: Debian's PostgreSQL and Redis, and images/medusa installed and built, cached.</summary>
public static class MedusaInstall
{
    /// <summary>Runs the script (quick when its cache is current) and returns the built app's directory.</summary>
    public static async Task<string> AppDirectoryAsync()
    {
        var script = Path.Combine(Repo.Root, "eng", "install-medusa.sh");
        var result = (await CommandLine.RunAsync("bash", [script], timeout: TimeSpan.FromMinutes(20))).EnsureSuccess();
        var app = result.Stdout.TrimEnd().Split('\n')[^1];
        return File.Exists(Path.Combine(app, "medusa-config.js"))
            ? app
            : throw new InvalidOperationException($"{script} printed no built app directory:\n{result}");
    }
}

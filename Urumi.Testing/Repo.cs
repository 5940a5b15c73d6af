namespace Urumi.Testing;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string FunctionsDll => Path.Combine(Root, "Urumi.Functions", "bin", Configuration, "net10.0", "Urumi.Functions.dll");

    public static string SamplesDll => Path.Combine(Root, "samples", "Urumi.Samples", "bin", Configuration, "net10.0", "Urumi.Samples.dll");

    public static string Azurite => Environment.GetEnvironmentVariable("URUMI_AZURITE") is { Length: > 0 } path
        ? path
        : Path.Combine(Root, ".tools", "node_modules", ".bin", "azurite");

    /// <summary>A binary eng/install-tools.sh installs in .tools/bin: helm3, helm4, kubectl1.31, kubectl1.33.</summary>
    public static string Tool(string name)
    {
        var path = Path.Combine(Root, ".tools", "bin", name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run eng/install-tools.sh", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Urumi.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cannot find Urumi.sln above " + AppContext.BaseDirectory);
    }
}

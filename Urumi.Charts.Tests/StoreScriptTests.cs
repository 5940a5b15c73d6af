using System.Text.RegularExpressions;
using k8s.Models;
using Urumi.Charts.Tests.Support;
using Urumi.Testing;
using Urumi.Functions.Provisioning;

namespace Urumi.Charts.Tests;

/// <summary>
/// The scripts the store charts' Jobs run, checked without running them: ShellCheck, WP-CLI flags against the
/// pinned versions' documentation, and every variable and secret a script reads present in the rendered Job.
/// </summary>
public sealed partial class StoreScriptTests
{
    public static TheoryData<string, string> Scripts => new()
    {
        { ChartCatalog.WooCommerce, "files/setup.sh" },
        { ChartCatalog.Medusa, "files/seed.sh" },
    };

    public static TheoryData<string, string> HelmsAndEnvironments => ChartCatalog.Pairs(ChartCatalog.Helms, ChartCatalog.Environments);

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task The_job_script_passes_shellcheck_as_posix_sh(string chart, string script)
    {
        var path = Path.Combine(ChartCatalog.Path(chart), script);

        var result = await CommandLine.RunAsync(ShellCheck(), ["--shell=sh", "--severity=style", path]);

        Assert.True(result.ExitCode == 0, $"shellcheck found problems in charts/{chart}/{script}:\n{result.Stdout}{result.Stderr}");
    }

    [Fact]
    public void Every_wp_cli_call_of_the_setup_script_uses_documented_commands_and_flags()
    {
        var script = File.ReadAllText(Path.Combine(ChartCatalog.Path(ChartCatalog.WooCommerce), "files", "setup.sh"));

        var calls = WpCliFlags.Calls(script).ToList();
        var problems = WpCliFlags.Load().Problems(script).ToList();

        Assert.True(calls.Count >= 10, $"found only {calls.Count} wp calls: the checker no longer sees the script's calls");
        Assert.Empty(problems);
    }

    [Fact]
    public void The_flag_check_reports_an_undocumented_flag_and_an_unknown_command()
    {
        const string Script = "wp plugin install woocommerce --version=1 --activate-all\nif wp theme is-installed x; then :; fi\n";

        var problems = WpCliFlags.Load().Problems(Script).ToList();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("--activate-all", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("theme is-installed", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(HelmsAndEnvironments))]
    public async Task The_woocommerce_setup_job_gets_every_variable_and_secret_its_script_reads(string helm, string environment)
    {
        var script = File.ReadAllText(Path.Combine(ChartCatalog.Path(ChartCatalog.WooCommerce), "files", "setup.sh"));
        var rendered = await RenderAsync(helm, ChartCatalog.WooCommerce, environment);
        var job = rendered.OfType<V1Job>().Single(j => j.Metadata.Name == "store-1-setup");
        var container = job.Spec.Template.Spec.Containers.Single(c => c.Name == "wp-cli");

        var missing = ShellVariables(script).Except(EnvNames(container)).ToList();
        var secretFiles = SecretFiles().Matches(script).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.Empty(missing);
        Assert.NotEmpty(secretFiles);
        var mount = Assert.Single(container.VolumeMounts, m => m.MountPath == "/run/secrets/store");
        var secret = Assert.Single(job.Spec.Template.Spec.Volumes, v => v.Name == mount.Name).Secret;
        Assert.NotNull(secret);
        foreach (var file in secretFiles)
        {
            Assert.Contains(secret.Items, item => item.Path == file);
        }
        AssertSecretKeysExist(ChartCatalog.WooCommerce, secret.SecretName, secret.Items.Select(i => i.Key).Concat(SecretKeys(container)));
    }

    [Theory]
    [MemberData(nameof(HelmsAndEnvironments))]
    public async Task The_medusa_seed_job_and_app_containers_get_every_variable_their_code_reads(string helm, string environment)
    {
        var medusa = Path.Combine(Repo.Root, "images", "medusa");
        var seedReads = ShellVariables(File.ReadAllText(Path.Combine(ChartCatalog.Path(ChartCatalog.Medusa), "files", "seed.sh")))
            .Concat(NodeVariables(File.ReadAllText(Path.Combine(medusa, "src", "scripts", "urumi-seed.ts"))));
        // DATABASE_SSL is for a PostgreSQL outside the namespace: the chart's own is reached without TLS.
        var configReads = NodeVariables(File.ReadAllText(Path.Combine(medusa, "medusa-config.ts"))).Except(["DATABASE_SSL"]).ToList();
        var rendered = await RenderAsync(helm, ChartCatalog.Medusa, environment);

        foreach (var (pod, container, _) in rendered.Containers().Where(c => c.Container.Image.Contains("medusa", StringComparison.Ordinal)))
        {
            var reads = pod.Owner == "Job/store-1-seed" ? configReads.Concat(seedReads) : configReads;
            if (container.Command?.Contains("start") == true || pod.Owner == "Job/store-1-seed")
            {
                Assert.Empty(reads.Except(EnvNames(container)).Select(v => $"{pod.Owner} {container.Name} does not set {v}"));
            }
            AssertSecretKeysExist(ChartCatalog.Medusa, "store-1-credentials", SecretKeys(container));
        }
    }

    private static async Task<Rendered> RenderAsync(string helm, string chart, string environment) =>
        Rendered.Parse(await ChartCatalog.TemplateAsync(helm, chart, ChartCatalog.ValuesFile(chart, environment)));

    private static void AssertSecretKeysExist(string chart, string secretName, IEnumerable<string> keys)
    {
        var credentials = StoreResources.Credentials("store-1", "store-1", chart);
        Assert.Equal(credentials.Metadata.Name, secretName);
        foreach (var key in keys)
        {
            Assert.True(credentials.StringData.ContainsKey(key), $"the chart reads key {key}, which the control plane's Secret does not have");
        }
    }

    private static IEnumerable<string> EnvNames(V1Container container) => (container.Env ?? []).Select(e => e.Name);

    private static IEnumerable<string> SecretKeys(V1Container container) =>
        (container.Env ?? []).Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef.Key);

    /// <summary>$NAME and ${NAME} in shell, getenv("NAME") in the PHP one-liners; positional and special ones excluded.</summary>
    private static IEnumerable<string> ShellVariables(string script) =>
        ShellVariable().Matches(script).Select(m => m.Groups[1].Value)
            .Concat(PhpVariable().Matches(script).Select(m => m.Groups[1].Value))
            .Distinct();

    private static IEnumerable<string> NodeVariables(string source) =>
        NodeVariable().Matches(source).Select(m => m.Groups[1].Value.Length > 0 ? m.Groups[1].Value : m.Groups[2].Value).Distinct();

    private static string ShellCheck()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "shellcheck")).FirstOrDefault(File.Exists);
        return path ?? throw new FileNotFoundException("shellcheck is not installed: run eng/install-medusa.sh (eng/test.sh does)");
    }

    [GeneratedRegex(@"\$\{?([A-Z_][A-Z0-9_]*)")]
    private static partial Regex ShellVariable();

    [GeneratedRegex(@"getenv\(""([A-Z_][A-Z0-9_]*)""\)")]
    private static partial Regex PhpVariable();

    [GeneratedRegex(@"process\.env\.([A-Z_][A-Z0-9_]*)|required\(""([A-Z_][A-Z0-9_]*)""\)")]
    private static partial Regex NodeVariable();

    [GeneratedRegex(@"/run/secrets/store/([a-z0-9-]+)")]
    private static partial Regex SecretFiles();
}

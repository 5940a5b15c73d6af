using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Urumi.Charts.Tests.Support;

namespace Urumi.Charts.Tests;

public sealed partial class ValuesTests
{
    public static TheoryData<string, string> ChartsAndEnvironments() => ChartCatalog.Pairs(ChartCatalog.All, ChartCatalog.Environments);

    [Theory]
    [MemberData(nameof(ChartsAndEnvironments))]
    public async Task Every_key_of_a_values_file_changes_the_rendered_output(string chart, string environment)
    {
        var valuesFile = ChartCatalog.ValuesFile(chart, environment);
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ChartCatalog.Path(chart), "values.schema.json")))!.AsObject();
        var keys = ValuesFile.Keys(valuesFile);
        Assert.NotEmpty(keys);
        var baseline = await ChartCatalog.TemplateAsync("helm3", chart, valuesFile);
        var directory = Directory.CreateTempSubdirectory("urumi-values-").FullName;

        var unread = new List<string>();
        foreach (var key in keys)
        {
            var changed = ValuesFile.Changed(key, schema);
            var overrideFile = Path.Combine(directory, key.Name + ".json");
            await File.WriteAllTextAsync(overrideFile, ValuesFile.Override(key, changed).ToJsonString());

            var result = await ChartCatalog.HelmAsync("helm3", "template", "store-1", ChartCatalog.Path(chart), "--namespace", "store-1", "-f", valuesFile, "-f", overrideFile);

            Assert.True(result.ExitCode == 0, $"{key.Name} = {changed.ToJsonString()} was refused: {result}");
            if (result.Stdout == baseline)
            {
                unread.Add($"{key.Name} ({key.Value?.ToJsonString()} -> {changed.ToJsonString()})");
            }
        }
        Assert.True(unread.Count == 0, $"{Path.GetFileName(valuesFile)} of {chart} sets keys the templates never read: {string.Join(", ", unread)}");
    }

    [Fact]
    public void Changing_a_key_keeps_it_valid_for_the_schema()
    {
        var schema = JsonNode.Parse("""{"definitions":{"q":{"type":"string"}},"properties":{"a":{"properties":{"policy":{"enum":["Always","IfNotPresent"]},"cpu":{"$ref":"#/definitions/q"}}}}}""")!.AsObject();

        Assert.Equal("Always", ValuesFile.Changed(new(["a", "policy"], JsonValue.Create("IfNotPresent")), schema).GetValue<string>());
        Assert.Equal("500m", ValuesFile.Changed(new(["a", "cpu"], JsonValue.Create("250m")), schema).GetValue<string>());
        Assert.Equal("2Gi", ValuesFile.Changed(new(["a", "cpu"], JsonValue.Create("1Gi")), schema).GetValue<string>());
        Assert.Equal(3, ValuesFile.Changed(new(["replicas"], JsonValue.Create(2L)), schema).GetValue<long>());
        Assert.True(ValuesFile.Changed(new(["enabled"], JsonValue.Create(false)), schema).GetValue<bool>());
        Assert.Equal("xnginx", ValuesFile.Changed(new(["className"], JsonValue.Create("nginx")), schema).GetValue<string>());
    }

    [Fact]
    public void The_keys_of_a_values_file_are_its_leaves_with_their_types()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("urumi-values-").FullName, "values.yaml");
        File.WriteAllText(file, "a:\n  b: 1\n  c: \"1\"\n  d: [x, y]\ne: true\nf: {}\n");

        var keys = ValuesFile.Keys(file).ToDictionary(k => k.Name, k => k.Value?.ToJsonString());

        Assert.Equal(new Dictionary<string, string?> { ["a.b"] = "1", ["a.c"] = "\"1\"", ["a.d"] = "[\"x\",\"y\"]", ["e"] = "true", ["f"] = "{}" }, keys);
    }

    public static TheoryData<string, string, string, string> Mistakes()
    {
        var data = new TheoryData<string, string, string, string>();
        (string Chart, string Set, string Where)[] mistakes =
        [
            (ChartCatalog.WooCommerce, "wordpress.replicas=two", "replicas"),
            (ChartCatalog.WooCommerce, "wordpress.replica=2", "replica"),
            (ChartCatalog.WooCommerce, "mariadb.resources.limits.cpu=lots", "cpu"),
            (ChartCatalog.WooCommerce, "wordpress.image.tag=latest", "tag"),
            (ChartCatalog.WooCommerce, "ingress.tls.enabled=yes", "enabled"),
            (ChartCatalog.Medusa, "server.replicas=1.5", "replicas"),
            (ChartCatalog.Medusa, "seed.product.price=free", "price"),
            (ChartCatalog.Medusa, "postgres.persistence.sizee=1Gi", "sizee"),
            (ChartCatalog.ControlPlane, "urumi.environment=staging", "environment"),
            (ChartCatalog.ControlPlane, "replicaCount=2", "replicaCount"),
        ];
        foreach (var helm in ChartCatalog.Helms)
        {
            foreach (var (chart, set, where) in mistakes)
            {
                data.Add(helm, chart, set, where);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task The_schema_rejects_a_mistyped_or_unknown_value(string helm, string chart, string set, string where)
    {
        var result = await ChartCatalog.HelmAsync(helm, "template", "store-1", ChartCatalog.Path(chart), "-f", ChartCatalog.ValuesFile(chart, "local"), "--set", set);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", result.Stderr);
        Assert.Contains(where, result.Stderr);
    }

    [Theory]
    [InlineData("helm3")]
    [InlineData("helm4")]
    public async Task Medusa_refuses_to_render_without_an_image(string helm)
    {
        var result = await ChartCatalog.HelmAsync(helm, "template", "store-1", ChartCatalog.Path(ChartCatalog.Medusa));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("image.repository: the Medusa image is required", result.Stderr);
    }

    [Theory]
    [InlineData("woocommerce")]
    [InlineData("medusa")]
    [InlineData("urumi")]
    public void No_values_file_holds_a_password_token_or_key(string chart)
    {
        foreach (var file in Directory.GetFiles(ChartCatalog.Path(chart), "values*.yaml"))
        {
            foreach (var key in ValuesFile.Keys(file))
            {
                var leaf = key.Path[^1];
                if (leaf is "existingSecret")
                {
                    continue;
                }
                Assert.False(SecretKey().IsMatch(leaf) && key.Value is JsonValue value && value.ToString().Length > 0,
                    $"{Path.GetFileName(file)} of {chart} sets {key.Name}");
            }
        }
    }

    [GeneratedRegex("password|secret|token|salt|apikey|api_key|privatekey", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretKey();
}

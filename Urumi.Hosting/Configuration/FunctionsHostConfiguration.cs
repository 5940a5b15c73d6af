using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Urumi.Hosting.Configuration;

/// <summary>
/// Loads configuration the way `func start` does: host.json under AzureFunctionsJobHost, then local.settings.json
/// Values, then environment variables, then the command line (later sources win).
/// </summary>
public static class FunctionsHostConfiguration
{
    public const string HostSection = "AzureFunctionsJobHost";

    public static void Apply(ConfigurationManager configuration, string contentRoot, string[] args)
    {
        configuration.Sources.Clear();
        var hostJson = Find(contentRoot, "host.json");
        if (hostJson is not null)
        {
            configuration.AddInMemoryCollection(Flatten(hostJson, HostSection));
            var logLevels = configuration.GetSection($"{HostSection}:logging:logLevel").GetChildren()
                .Select(c => new KeyValuePair<string, string?>("Logging:LogLevel:" + (c.Key.Equals("default", StringComparison.OrdinalIgnoreCase) ? "Default" : c.Key), c.Value));
            configuration.AddInMemoryCollection(logLevels.ToList());
        }
        var localSettings = Find(contentRoot, "local.settings.json");
        if (localSettings is not null)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(localSettings), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.TryGetProperty("Values", out var values))
            {
                configuration.AddInMemoryCollection(values.EnumerateObject()
                    .Select(p => new KeyValuePair<string, string?>(p.Name.Replace("__", ":", StringComparison.Ordinal), p.Value.ToString()))
                    .ToList());
            }
        }
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
    }

    private static string? Find(string contentRoot, string file) =>
        new[] { Path.Combine(contentRoot, file), Path.Combine(AppContext.BaseDirectory, file) }.FirstOrDefault(File.Exists);

    private static List<KeyValuePair<string, string?>> Flatten(string path, string prefix)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var result = new List<KeyValuePair<string, string?>>();
        Walk(doc.RootElement, prefix, result);
        return result;
    }

    private static void Walk(JsonElement element, string path, List<KeyValuePair<string, string?>> result)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    Walk(p.Value, $"{path}:{p.Name}", result);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}:{i++}", result);
                }
                break;
            default:
                result.Add(new(path, element.ValueKind == JsonValueKind.Null ? null : element.ToString()));
                break;
        }
    }
}

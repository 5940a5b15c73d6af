using System.Text.Json;
using Microsoft.Playwright;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Dashboard;

/// <summary>
/// Debian's chromium (/usr/bin/chromium, installed by eng/install-chromium.sh; Playwright downloads no browser)
/// driven by Playwright against the control plane serving the built dashboard. Playwright gives each launch a fresh
/// profile (its own temporary --user-data-dir; it refuses the flag from the caller).
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static string Screenshots { get; } = Path.Combine(Repo.Root, "TestResults", "screenshots");

    public static string DashboardDist => Path.Combine(Repo.Root, "dashboard", "dist");

    /// <summary>The control plane with the dashboard (built by eng/build-dashboard.sh) served at `/`.</summary>
    public static Task<ControlPlane> StartControlPlaneAsync(AzuriteServer azurite, IDictionary<string, string>? settings = null)
    {
        Assert.True(File.Exists(Path.Combine(DashboardDist, "index.html")), "dashboard/dist is missing: run eng/build-dashboard.sh");
        var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["Hosting__StaticFiles"] = DashboardDist };
        return ControlPlane.StartAsync(azurite, "helm3", all);
    }

    public static async Task<Browser> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run eng/install-chromium.sh");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A fresh tab (its own session storage) at the dashboard, signed in with <paramref name="key"/>.</summary>
    public async Task<IPage> SignInAsync(ControlPlane plane, string key, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = plane.Admin.BaseAddress!.ToString(),
            ColorScheme = scheme,
            ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/");
        await page.GetByLabel("Key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Stores" }).WaitForAsync();
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    /// <summary>Runs axe-core (the npm package the dashboard installs) in the page; returns the serious and critical violations.</summary>
    public static async Task<List<string>> AxeAsync(IPage page)
    {
        var axe = Path.Combine(Repo.Root, "dashboard", "node_modules", "axe-core", "axe.min.js");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = axe });
        var json = await page.EvaluateAsync<string>(
            "async () => JSON.stringify((await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })))");
        var violations = JsonSerializer.Deserialize<List<AxeViolation>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        File.AppendAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(Repo.Root, "TestResults")).FullName, "axe.txt"),
            $"{page.Url}: {violations.Count} violations{string.Concat(violations.Select(v => $"\n  {v.Impact} {v.Id} ({v.Nodes}): {v.Help}"))}\n");
        return violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Impact} {v.Id}: {v.Help} ({v.Nodes} nodes)").ToList();
    }

    private sealed record AxeViolation(string Id, string? Impact, int Nodes, string Help);

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}

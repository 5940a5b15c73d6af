using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Urumi.Testing;
using Urumi.Functions.Tests.Support;

namespace Urumi.Functions.Tests.Hosting;

/// <summary>Anonymous callers learn what a probe or the sign-in page needs, and the simulated cluster is not theirs to use.</summary>
[Collection(ControlPlaneCollection.Name)]
public sealed class AnonymousAccessTests(AzuriteFixture fixture)
{
    [Fact]
    public async Task Anonymous_callers_see_no_address_path_or_setting_and_the_simulated_cluster_needs_the_control_planes_token()
    {
        await using var plane = await ControlPlane.StartAsync(fixture.Azurite, settings: new Dictionary<string, string> { ["Urumi__Cluster__Mode"] = "Simulated" });
        using var anonymous = new HttpClient { BaseAddress = plane.Admin.BaseAddress };
        var full = (await ControlPlane.ReadAsync(await plane.Admin.GetAsync("/api/info")))!;
        var server = (string)full["cluster"]!["server"]!;

        var answers = new List<string>();
        foreach (var path in new[] { "/api/info", "/api/health", "/api/info?code=wrong", "/api/health?verbose=true", "/health", "/alive" })
        {
            var response = await anonymous.GetAsync(path);
            answers.Add($"{path} {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var info = (JsonObject)(await ControlPlane.ReadAsync(await anonymous.GetAsync("/api/info")))!;
        using var cluster = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        var withoutToken = await cluster.GetAsync($"{server}/api/v1/secrets");
        var kubeconfig = Directory.GetFiles(plane.Sim.Directory, "kubesim.kubeconfig", SearchOption.AllDirectories).Single();
        var token = File.ReadAllLines(kubeconfig).Select(l => l.Trim()).Single(l => l.StartsWith("token: ", StringComparison.Ordinal))["token: ".Length..];
        using var withTokenRequest = new HttpRequestMessage(HttpMethod.Get, $"{server}/api/v1/secrets");
        withTokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var withToken = await cluster.SendAsync(withTokenRequest);

        Assert.True((bool)full["cluster"]!["simulated"]!);
        Assert.StartsWith("https://127.0.0.1:", server, StringComparison.Ordinal);
        Assert.Equal(["product", "simulated", "version"], info.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var secret in new[] { server, new Uri(server).Authority, (string)full["helm"]!["path"]!, (string)full["taskHub"]!, plane.Sim.Directory, fixture.Azurite.ConnectionString, "127.0.0.1" })
        {
            Assert.All(answers, a => Assert.DoesNotContain(secret, a, StringComparison.Ordinal));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));
        }
    }
}

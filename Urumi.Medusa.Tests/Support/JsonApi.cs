using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Urumi.Medusa.Tests.Support;

/// <summary>An answer of Medusa's API: status, JSON body and headers.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers)
{
    public JsonNode Json => Body ?? throw new InvalidOperationException($"{(int)Status} with no JSON body");

    public override string ToString() => $"{(int)Status} {Body?.ToJsonString()}";
}

/// <summary>
/// JSON calls to a Medusa server as a browser on the store's origin makes them: every request carries the Origin,
/// the headers given (publishable key, cookie) and no cookie jar.
/// </summary>
public sealed class JsonApi(int port, string origin, IReadOnlyDictionary<string, string> headers) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        Timeout = TimeSpan.FromMinutes(1),
    };

    public string Origin => origin;

    public JsonApi With(string header, string value) =>
        new(port, origin, new Dictionary<string, string>(headers) { [header] = value });

    public Task<ApiAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<ApiAnswer> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body ?? new { });

    /// <summary>The answer's JSON, failing with the whole answer unless it is 200.</summary>
    public async Task<JsonNode> OkAsync(Task<ApiAnswer> call)
    {
        var answer = await call;
        Assert.True(answer.Status == HttpStatusCode.OK, $"expected 200, got {answer}");
        return answer.Json;
    }

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Origin", origin);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonNode.Parse(text) : null;
        return new ApiAnswer(response.StatusCode, json, response.Headers);
    }

    public void Dispose() => _http.Dispose();
}

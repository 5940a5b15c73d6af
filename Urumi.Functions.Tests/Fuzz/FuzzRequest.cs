using System.Net.Http.Headers;
using System.Text;

namespace Urumi.Functions.Tests.Fuzz;

/// <summary>
/// A request the fuzzer sends. <see cref="Invalid"/>: a mutation the fuzzer knows breaks it (the answer must be a 4xx);
/// otherwise it may be valid, and whatever a 2xx answer creates is recorded as made by a valid request.
/// </summary>
public sealed record FuzzRequest(
    string Family,
    HttpMethod Method,
    string PathAndQuery,
    IReadOnlyList<(string Name, string Value)> Headers,
    byte[]? Body,
    string? ContentType,
    bool Invalid,
    string Mutations)
{
    /// <summary>An event stream: only its headers are read (a valid one streams until the client goes away).</summary>
    public bool IsStream => PathAndQuery.Split('?')[0].EndsWith("/stream", StringComparison.Ordinal);

    public HttpRequestMessage ToMessage(Uri baseAddress)
    {
        var message = new HttpRequestMessage(Method, new Uri(baseAddress, PathAndQuery));
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }
        return message;
    }

    public override string ToString()
    {
        var text = new StringBuilder($"[{Family}] {Method} {Shorten(PathAndQuery, 300)} ({Mutations}{(Invalid ? "; invalid" : "")})");
        foreach (var (name, value) in Headers)
        {
            text.Append($"\n  {name}: {Shorten(value, 120)}");
        }
        if (ContentType is not null)
        {
            text.Append($"\n  Content-Type: {ContentType}");
        }
        if (Body is not null)
        {
            text.Append($"\n  body ({Body.Length} bytes): {Shorten(Encoding.UTF8.GetString(Body), 300)}");
        }
        return text.ToString();
    }

    private static string Shorten(string text, int max) =>
        (text.Length <= max ? text : text[..max] + $"… ({text.Length} chars)").ReplaceLineEndings("\\n");
}

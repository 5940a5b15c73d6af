using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Urumi.Hosting.Http;

namespace Urumi.Hosting.Tests.Http;

/// <summary>What a client sees of an exception no route handled: a problem with a stable type, never the exception.</summary>
public sealed class ProblemExceptionHandlerTests
{
    [Fact]
    public async Task An_unhandled_exception_is_a_500_problem_without_its_message_or_stack_trace()
    {
        var context = NewContext();

        var handled = await new ProblemExceptionHandler(NullLogger<ProblemExceptionHandler>.Instance)
            .TryHandleAsync(context, Thrown(new InvalidOperationException("secret connection string")), CancellationToken.None);

        var body = Body(context);
        Assert.True(handled);
        Assert.Equal(500, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.Equal("https://urumi.dev/problems/internal-error", (string?)JsonNode.Parse(body)!["type"]);
        Assert.Equal(context.TraceIdentifier, (string?)JsonNode.Parse(body)!["traceId"]);
        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_the_server_could_not_read_is_its_own_4xx_problem()
    {
        var context = NewContext();

        await new ProblemExceptionHandler(NullLogger<ProblemExceptionHandler>.Instance)
            .TryHandleAsync(context, Thrown(new BadHttpRequestException("Request body too large.", 413)), CancellationToken.None);

        Assert.Equal(413, context.Response.StatusCode);
        Assert.Equal("https://urumi.dev/problems/bad-request", (string?)JsonNode.Parse(Body(context))!["type"]);
    }

    private static DefaultHttpContext NewContext() => new()
    {
        RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        TraceIdentifier = "trace-1",
        Response = { Body = new MemoryStream() },
    };

    private static string Body(HttpContext context) => System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}

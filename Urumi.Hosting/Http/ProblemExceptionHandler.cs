using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Urumi.Hosting.Http;

/// <summary>
/// The answer to an exception no route handled: a request the server could not read (Kestrel's
/// BadHttpRequestException) is its 4xx; anything else is a 500 problem with a stable type and the trace id, and the
/// exception goes to the log only: a client never sees a stack trace or an exception message.
/// </summary>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception is BadHttpRequestException bad
            ? Problems.Create(bad.StatusCode, "bad-request", "The request could not be read", bad.Message)
            : Problems.Create(500, "internal-error", "The server failed",
                $"The request failed on the server; its log has the error under trace id {context.TraceIdentifier}.",
                new Dictionary<string, object?> { ["traceId"] = context.TraceIdentifier });
        if (exception is not BadHttpRequestException)
        {
            RequestFailed(logger, exception, context.Request.Method, context.Request.Path, context.TraceIdentifier);
        }
        await problem.ExecuteAsync(context);
        return true;
    }

    [LoggerMessage(2101, LogLevel.Error, "{Method} {Path} failed (trace id {TraceId})")]
    private static partial void RequestFailed(ILogger logger, Exception exception, string method, PathString path, string traceId);
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Urumi.Durable;

/// <summary>The invocation a function runs in (its name, id and services), as in the isolated worker.</summary>
public sealed class FunctionContext(string functionName, IServiceProvider instanceServices, string? instanceId = null)
{
    public string FunctionName { get; } = functionName;

    public string InvocationId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>For activities and orchestrators: the orchestration instance the invocation belongs to.</summary>
    public string? InstanceId { get; } = instanceId;

    public IServiceProvider InstanceServices { get; } = instanceServices;

    public ILogger GetLogger(string categoryName) =>
        InstanceServices.GetRequiredService<ILoggerFactory>().CreateLogger(categoryName);
}

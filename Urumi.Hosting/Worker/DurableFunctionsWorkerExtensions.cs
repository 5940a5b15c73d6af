using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Urumi.Hosting.Worker;

public static class DurableFunctionsWorkerExtensions
{
    /// <summary>
    /// Runs the index's orchestrators and activities in this process: each is registered in the SDK's
    /// DurableTaskRegistry and the SDK's worker builder builds a <see cref="SelfHostedDurableTaskWorker"/>. The
    /// orchestration service comes from the services (see Urumi.Hosting.Configuration's AddDurableTaskHub).
    /// </summary>
    public static IServiceCollection AddDurableFunctionsWorker(this IServiceCollection services, FunctionIndex index)
    {
        services.AddSingleton(index);
        services.AddScoped<ActivityInvocation>();
        services.AddDurableTaskWorker(builder => builder.UseBuildTarget<SelfHostedDurableTaskWorker>());
        services.AddOptions<DurableTaskRegistry>(Options.DefaultName)
            .Configure<IServiceProvider>((registry, root) => Register(registry, index, root));
        return services;
    }

    private static void Register(DurableTaskRegistry registry, FunctionIndex index, IServiceProvider root)
    {
        var converter = root.GetRequiredService<IOptionsMonitor<DurableTaskWorkerOptions>>().Get(Options.DefaultName).DataConverter;
        foreach (var function in index.Orchestrators)
        {
            registry.AddOrchestrator(function.Name, () => new FunctionOrchestrator(function, root, converter));
        }
        foreach (var function in index.Activities)
        {
            registry.AddActivity(function.Name, scope => new FunctionActivity(function, scope));
        }
    }
}

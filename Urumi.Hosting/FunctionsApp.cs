using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Urumi.Hosting.Configuration;
using Urumi.Hosting.Http;

namespace Urumi.Hosting;

/// <summary>
/// Builds a function app either as the Azure Functions isolated worker (when the Functions host started the process)
/// or self-hosted: the same function classes, host.json and local.settings.json, without the Functions host.
/// </summary>
public static partial class FunctionsApp
{
    /// <summary>
    /// The one decision: the Functions host starts its worker with the address of its gRPC channel
    /// (--functions-uri on the command line, or Functions:Worker:HostEndpoint); nothing else passes it.
    /// </summary>
    public static bool IsStartedByFunctionsHost(string[] args) =>
        args.Any(a => a.StartsWith("--functions-uri", StringComparison.Ordinal))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint"));

    /// <summary>The host of the function app in <paramref name="functions"/>; <paramref name="configure"/> adds the app's services.</summary>
    public static IHost Create(string[] args, Assembly functions, Action<IServiceCollection, IConfiguration> configure)
    {
        if (IsStartedByFunctionsHost(args))
        {
            var worker = FunctionsApplication.CreateBuilder(args);
            worker.ConfigureFunctionsWebApplication();
            // The host reads host.json itself; the app's own services read the same file (the task hub's name).
            FunctionsHostConfiguration.AddHostJson(worker.Configuration, AppContext.BaseDirectory);
            configure(worker.Services, worker.Configuration);
            return worker.Build();
        }
        var builder = SelfHost.CreateBuilder(args, Directory.GetCurrentDirectory(), functions.GetTypes());
        configure(builder.Services, builder.Configuration);
        return builder.Build();
    }

    /// <summary>Exit code of a start refused because a setting is not valid (as a command line's usage error).</summary>
    public const int InvalidSettingsExitCode = 2;

    /// <summary>
    /// Runs <paramref name="host"/> until it stops; 0, or <see cref="InvalidSettingsExitCode"/> when a setting is not
    /// valid (ValidateOnStart), after one line per bad setting on standard error instead of an unhandled exception.
    /// </summary>
    public static async Task<int> RunAsync(IHost host)
    {
        try
        {
            await host.RunAsync();
            return 0;
        }
        catch (Exception e) when (InvalidSettings(e) is { Count: > 0 } failures)
        {
            await Console.Error.WriteLineAsync("The app cannot start; fix these settings:");
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync("  " + failure);
            }
            return InvalidSettingsExitCode;
        }
    }

    /// <summary>A DataAnnotations failure's own message (which names the setting), without the validator's wrapping.</summary>
    private static string Unwrapped(string failure) =>
        DataAnnotationFailure().Match(failure) is { Success: true } m ? m.Groups["message"].Value : failure;

    [System.Text.RegularExpressions.GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<message>.*)'\.$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex DataAnnotationFailure();

    private static List<string> InvalidSettings(Exception e) => e switch
    {
        OptionsValidationException v => [.. v.Failures.Select(Unwrapped)],
        AggregateException a => [.. a.InnerExceptions.SelectMany(InvalidSettings)],
        _ => [],
    };
}

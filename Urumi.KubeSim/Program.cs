using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Urumi.KubeSim;

// dotnet run --project Urumi.KubeSim -- --port <p> --kubeconfig <file> [--token <t>] [--https] [--rbac] [--fast]
// Writes the kubeconfig, prints "ready <url>" once requests are accepted, and serves until Ctrl+C or SIGTERM.
var port = new Option<int>("--port") { Description = "Port on 127.0.0.1; 0 (the default) picks a free one", HelpName = "p", CustomParser = ParsePort };
var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Write a kubeconfig for the simulator to this file", HelpName = "file" };
var token = new Option<string?>("--token") { Description = "Require this bearer token on every request but the health probes", HelpName = "bearer token" };
var https = new Option<bool>("--https") { Description = "Serve HTTPS with a certificate made at start (its CA in the kubeconfig)" };
var rbac = new Option<bool>("--rbac") { Description = "Authorize every request with RBAC (implies --https)" };
var fast = new Option<bool>("--fast") { Description = "Simulated controllers move fast (for tests)" };
var root = new RootCommand("Urumi.KubeSim: a simulated Kubernetes API server on 127.0.0.1") { port, kubeconfig, token, https, rbac, fast };
root.SetAction(RunAsync);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }
    Console.Error.WriteLine($"usage: Urumi.KubeSim {string.Join(' ', root.Options.Where(o => o is not HelpOption and not VersionOption).Select(Usage))}");
    return 2;
}
// The server's host stops on Ctrl+C and SIGTERM itself: the parser does not take the signals.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

async Task<int> RunAsync(ParseResult result, CancellationToken ct)
{
    var options = result.GetValue(fast) ? KubeSimOptions.Fast() : new KubeSimOptions();
    options.Port = result.GetValue(port);
    options.Token = result.GetValue(token);
    options.Https = result.GetValue(https);
    options.Rbac = result.GetValue(rbac);
    KubeSimServer server;
    try
    {
        server = await KubeSimServer.StartAsync(options);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"error: cannot listen on 127.0.0.1:{options.Port}: {e.Message}");
        return 1;
    }

    await using (server)
    {
        if (result.GetValue(kubeconfig) is { } file)
        {
            server.WriteKubeconfig(file);
        }

        Console.WriteLine($"ready {server.Url}");
        Console.Out.Flush();
        await server.WaitForShutdownAsync();
    }

    return 0;
}

static int ParsePort(ArgumentResult result)
{
    if (!int.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var value))
    {
        result.AddError("--port needs a number");
    }
    else if (value is < 0 or > 65535)
    {
        result.AddError("--port must be 0-65535");
    }
    return value;
}

static string Usage(Option option) => option.ValueType == typeof(bool) ? $"[{option.Name}]" : $"[{option.Name} <{option.HelpName}>]";

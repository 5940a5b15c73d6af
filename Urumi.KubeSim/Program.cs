using Urumi.KubeSim;

// dotnet run --project Urumi.KubeSim -- --port <p> --kubeconfig <file> [--token <t>] [--https] [--rbac] [--fast]
// Writes the kubeconfig, prints "ready <url>" once requests are accepted, and serves until Ctrl+C or SIGTERM.
var options = new KubeSimOptions();
string? kubeconfig = null;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--port":
                options.Port = int.TryParse(Value(), out var port) ? port : throw new ArgumentException("--port needs a number");
                break;
            case "--kubeconfig":
                kubeconfig = Value();
                break;
            case "--token":
                options.Token = Value();
                break;
            case "--https":
                options.Https = true;
                break;
            case "--rbac":
                options.Rbac = true;
                break;
            case "--fast":
                var fast = KubeSimOptions.Fast();
                fast.Port = options.Port;
                fast.Token = options.Token;
                fast.Https = options.Https;
                fast.Rbac = options.Rbac;
                options = fast;
                break;
            case "-h" or "--help":
                Console.WriteLine("usage: Urumi.KubeSim [--port <p>] [--kubeconfig <file>] [--token <bearer token>] [--https] [--rbac] [--fast]");
                return 0;
            default:
                throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        Console.Error.WriteLine("usage: Urumi.KubeSim [--port <p>] [--kubeconfig <file>] [--token <bearer token>] [--https] [--rbac] [--fast]");
        return 2;
    }
}

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
    if (kubeconfig is not null)
    {
        server.WriteKubeconfig(kubeconfig);
    }

    Console.WriteLine($"ready {server.Url}");
    Console.Out.Flush();
    await server.WaitForShutdownAsync();
}

return 0;

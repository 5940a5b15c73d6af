using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using DurableTask.AzureStorage;
using Microsoft.DurableTask.Client;
using Urumi.Hosting;
using Urumi.Hosting.Client;

namespace Urumi.Testing;

/// <summary>
/// A function app (the samples app unless another dll is given) as a separate process (so tests can kill -9 it),
/// on a free loopback port, with its output captured.
/// </summary>
public sealed class FunctionApp : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";
    public const string FunctionKey = "test-function-key-alice";
    private readonly StringBuilder _output = new();
    private Process? _process;

    private FunctionApp(string dll, string connectionString, string hub, IDictionary<string, string> settings)
    {
        Dll = dll;
        ConnectionString = connectionString;
        Hub = hub;
        Settings = settings;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public int Port { get; } = FreePort.Next();

    public string Dll { get; }

    public string ConnectionString { get; }

    public string Hub { get; }

    public IDictionary<string, string> Settings { get; }

    public HttpClient Http { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>CPU time the app's process has used (not its children's).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process!.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    private const string StorageProvider = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__";

    /// <summary>Storage settings that make failover quick enough for tests (blob leases are at least 15 s).</summary>
    public static Dictionary<string, string> FastFailover() => new()
    {
        [StorageProvider + "leaseInterval"] = "00:00:15",
        [StorageProvider + "controlQueueVisibilityTimeout"] = "00:00:10",
        [StorageProvider + "workItemQueueVisibilityTimeout"] = "00:00:10",
    };

    public static async Task<FunctionApp> StartAsync(string connectionString, string hub, IDictionary<string, string>? settings = null, string? dll = null)
    {
        var app = new FunctionApp(dll ?? Repo.SamplesDll, connectionString, hub, settings ?? new Dictionary<string, string>());
        await app.StartProcessAsync();
        return app;
    }

    /// <summary>A client straight on the task hub's storage, to check what the app wrote.</summary>
    public DurableTaskClient CreateStorageClient() => new OrchestrationServiceDurableTaskClient("storage",
        new OrchestrationServiceClientOptions
        {
            Client = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
            {
                TaskHubName = Hub,
                StorageAccountClientProvider = new StorageAccountClientProvider(ConnectionString),
            }),
            DataConverter = WorkerJson.Converter,
        });

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Kills (SIGKILL) the app's process alone: the processes it started (helm) live on as orphans.</summary>
    public void KillProcessOnly()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        Http.Dispose();
        await Task.Yield();
    }

    /// <summary>Starts the app again (after <see cref="Kill"/>) on the same port with the same settings.</summary>
    public Task RestartAsync()
    {
        Kill();
        _process?.Dispose();
        return StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        if (!File.Exists(Dll))
        {
            throw new InvalidOperationException($"The function app is not built at {Dll}.");
        }
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Dll)!,
        };
        info.ArgumentList.Add(Dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{Port}");
        info.Environment["AzureWebJobsStorage"] = ConnectionString;
        info.Environment["AzureFunctionsJobHost__extensions__durableTask__hubName"] = Hub;
        info.Environment["Auth__AdminKey"] = AdminKey;
        info.Environment["Auth__Keys__alice"] = FunctionKey;
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in Settings)
        {
            info.Environment[key] = value;
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await FreePort.WaitUntilListeningAsync(Port, TimeSpan.FromSeconds(60), () => "The app said: " + Output, () => HasExited);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

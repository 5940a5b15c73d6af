using System.Diagnostics;
using System.Text;

namespace Urumi.Testing;

/// <summary>The pinned Azurite (from eng/install-tools.sh) on free loopback ports, with its own data folder.</summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _data = Directory.CreateTempSubdirectory("urumi-azurite-").FullName;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private AzuriteServer()
    {
    }

    public int BlobPort { get; private set; } = FreePort.Next();

    public int QueuePort { get; private set; } = FreePort.Next();

    public int TablePort { get; private set; } = FreePort.Next();

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    /// <summary>CPU time the running Azurite process has used (benchmarks report it per operation).</summary>
    public TimeSpan ProcessorTime => _process is { HasExited: false } p ? p.TotalProcessorTime : TimeSpan.Zero;

    public static async Task<AzuriteServer> StartAsync()
    {
        var server = new AzuriteServer();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await server.StartProcessAsync();
                return server;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // A free port can be taken by another process before Azurite binds it: try fresh ones.
                server.Kill();
                server.BlobPort = FreePort.Next();
                server.QueuePort = FreePort.Next();
                server.TablePort = FreePort.Next();
            }
        }
    }

    /// <summary>Stops Azurite (SIGTERM, so it saves its data) and starts it again on the same ports.</summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        if (_process is { HasExited: false })
        {
            Signal(15);
            await _process.WaitForExitAsync();
        }
        if (whileDown is not null)
        {
            await whileDown();
        }
        await StartProcessAsync();
    }

    /// <summary>Freezes Azurite (SIGSTOP): connections stay open and no request is answered, as a hung storage.</summary>
    public void Pause() => Signal(19);

    /// <summary>Lets a paused Azurite go on (SIGCONT).</summary>
    public void Resume() => Signal(18);

    private void Signal(int signal)
    {
        if (_process is { HasExited: false })
        {
            _ = SendSignal(_process.Id, signal);
        }
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private async Task StartProcessAsync()
    {
        if (!File.Exists(Repo.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {Repo.Azurite}: run eng/install-tools.sh (the README's test command does).");
        }
        var info = new ProcessStartInfo(Repo.Azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--disableProductStyleUrl", "--location", _data,
            "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(), "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString() })
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(90), () => "Azurite said: " + Output, () => process.HasExited);
        }
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
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

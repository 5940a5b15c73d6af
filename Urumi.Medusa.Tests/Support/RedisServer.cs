using System.Diagnostics;
using System.Text;
using Urumi.Testing;

namespace Urumi.Medusa.Tests.Support;

/// <summary>Debian's redis-server on a free loopback port, with the chart's arguments (no persistence).</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("urumi-medusa-redis-").FullName;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; } = FreePort.Next();

    public static async Task<RedisServer> StartAsync(IReadOnlyList<string> chartArguments)
    {
        var server = new RedisServer();
        try
        {
            server.Start(chartArguments);
            await FreePort.WaitUntilListeningAsync(server.Port, TimeSpan.FromSeconds(30), () => server.Output,
                () => server._process!.HasExited);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

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

    private void Start(IReadOnlyList<string> chartArguments)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in chartArguments.Concat(["--port", $"{Port}", "--bind", "127.0.0.1", "--dir", _directory]))
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

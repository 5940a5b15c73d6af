using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Urumi.Testing;

namespace Urumi.Medusa.Tests.Support;

/// <summary>
/// A container of the chart run as a process in the built app's directory (the image's working directory), with
/// only the image's environment (the ENV of images/medusa/Dockerfile, PATH) and the container's.
/// </summary>
public sealed class ContainerProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private ContainerProcess(string appDirectory, ContainerRun run)
    {
        Run = run;
        var command = run.Command.Select(c => c.StartsWith("./", StringComparison.Ordinal) ? Path.Combine(appDirectory, c[2..]) : c).ToList();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = appDirectory,
        };
        command.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
        foreach (var (name, value) in ImageEnvironment().Concat(run.Environment))
        {
            start.Environment[name] = value;
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {run.Name}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public ContainerRun Run { get; }

    public bool HasExited => _process.HasExited;

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

    public static ContainerProcess Start(string appDirectory, ContainerRun run) => new(appDirectory, run);

    /// <summary>Runs a container that runs to completion (an init container, the seed Job) and returns its exit code.</summary>
    public static async Task<(int ExitCode, string Output)> RunToCompletionAsync(string appDirectory, ContainerRun run, TimeSpan timeout)
    {
        await using var process = Start(appDirectory, run);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process._process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{run.Name} did not finish within {timeout}:\n{process.Output}");
        }
        process._process.WaitForExit();
        return (process._process.ExitCode, process.Output);
    }

    /// <summary>Polls GET /health, the path of the chart's probes, until it answers 200 (fails at once if the process exits).</summary>
    public async Task WaitHealthyAsync(int port, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Run.Name} exited with {_process.ExitCode} before it was healthy:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Run.Name} was not healthy on port {port} within {timeout}:\n{Output}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Stops it as the kubelet does: SIGTERM, then SIGKILL after the grace period.</summary>
    public async Task StopAsync(TimeSpan gracePeriod)
    {
        if (_process.HasExited)
        {
            return;
        }
        _ = Kill(_process.Id, 15);
        using var grace = new CancellationTokenSource(gracePeriod);
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
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

    /// <summary>The variables of the last ENV instruction of images/medusa/Dockerfile (its runtime stage).</summary>
    private static IEnumerable<KeyValuePair<string, string>> ImageEnvironment()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Repo.Root, "images", "medusa", "Dockerfile"));
        var env = dockerfile.Last(line => line.StartsWith("ENV ", StringComparison.Ordinal));
        return env[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(pair => KeyValuePair.Create(pair[0], pair[1]));
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using Urumi.Testing;
using Urumi.Medusa.Tests.Support;

namespace Urumi.Medusa.Tests;

/// <summary>
/// A Medusa store brought up as charts/medusa brings it up, without containers: PostgreSQL and Redis with the
/// chart's settings, the server's migrate init container, the seed Job, then the server and the worker, each with
/// the environment the chart renders (Service hosts and ports rewritten to loopback ports, nothing else).
/// </summary>
public sealed partial class MedusaStore : IAsyncLifetime
{
    public const string StoreId = "shop-e2e";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);
    private readonly Stopwatch _sinceEmptyDatabase = new();
    private TimeSpan _readyAfter;
    private PostgresServer? _postgres;
    private RedisServer? _redis;
    private ContainerProcess? _server;
    private ContainerProcess? _worker;
    private string _app = "";

    public RenderedStore Chart { get; private set; } = null!;

    public int ServerPort { get; } = FreePort.Next();

    public int WorkerPort { get; } = FreePort.Next();

    public string PublishableKey { get; private set; } = "";

    /// <summary>How long each step took, for the issue's figures (printed by every test).</summary>
    public Dictionary<string, TimeSpan> Timings { get; } = [];

    public ContainerProcess Worker => _worker ?? throw new InvalidOperationException("the worker is not running");

    public string SeedEnv(string name) => Chart.Run("seed", "seed", LoopbackPorts).Environment[name];

    private Dictionary<string, int> LoopbackPorts => new()
    {
        ["postgres"] = _postgres?.Port ?? 0,
        ["redis"] = _redis?.Port ?? 0,
        ["server"] = ServerPort,
    };

    public async Task InitializeAsync()
    {
        _app = await Timed("install (cached when current)", MedusaInstall.AppDirectoryAsync);
        Chart = await RenderedStore.RenderAsync(StoreId);
        var database = Chart.Run("postgres", "postgres", LoopbackPorts).Environment;
        _postgres = await PostgresServer.StartAsync(database["POSTGRES_USER"], database["POSTGRES_PASSWORD"], database["POSTGRES_DB"]);
        _redis = await RedisServer.StartAsync(Chart.Container("redis", "redis").Args.ToList());

        _sinceEmptyDatabase.Start();
        var migrate = await Timed("migrate", () => RunToCompletionAsync(Chart.Run("server", "migrate", LoopbackPorts, init: true)));
        Assert.True(migrate.ExitCode == 0, $"the migrate init container exited with {migrate.ExitCode}:\n{migrate.Output}");
        var seed = await RunSeedAsync();
        Assert.True(seed.ExitCode == 0, $"the seed Job exited with {seed.ExitCode}:\n{seed.Output}");
        PublishableKey = PublishableKeyLine().Match(seed.Output) is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"the seed printed no publishable key:\n{seed.Output}");

        await Timed("server and worker healthy", () => Task.WhenAll(StartServerAsync(), StartWorkerAsync()));
        Timings.Remove("server healthy after a restart");
        _readyAfter = _sinceEmptyDatabase.Elapsed;
    }

    /// <summary>Runs the seed Job's container once more, as every helm upgrade does.</summary>
    public Task<(int ExitCode, string Output)> RunSeedAsync() =>
        Timed(Timings.ContainsKey("seed") ? "seed, second run" : "seed", () => RunToCompletionAsync(Chart.Run("seed", "seed", LoopbackPorts)));

    public Task StartServerAsync() => Timed("server healthy after a restart", async () =>
    {
        _server = ContainerProcess.Start(_app, Listening(Chart.Run("server", "medusa", LoopbackPorts), "server", ServerPort));
        await _server.WaitHealthyAsync(ServerPort, StartTimeout);
    });

    /// <summary>Stops the server as a rollout or an eviction does (SIGTERM, then SIGKILL after the grace period).</summary>
    public async Task StopServerAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync(TimeSpan.FromSeconds(30));
            await _server.DisposeAsync();
            _server = null;
        }
    }

    /// <summary>
    /// Records the first checkout's duration, and the time to a first order: from an empty database through
    /// migrations, seed and start to a completed checkout (tests that run before it do not count).
    /// </summary>
    public void OrderPlaced(TimeSpan checkout)
    {
        if (Timings.TryAdd("first checkout through the Store API", checkout))
        {
            Timings["first order, from an empty database"] = _readyAfter + checkout;
        }
    }

    public string Report() => string.Join('\n', Timings.Select(t => $"{t.Key}: {t.Value.TotalSeconds:F1} s"));

    public async Task DisposeAsync()
    {
        await StopServerAsync();
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    private async Task StartWorkerAsync()
    {
        _worker = ContainerProcess.Start(_app, Listening(Chart.Run("worker", "medusa", LoopbackPorts), "worker", WorkerPort));
        await _worker.WaitHealthyAsync(WorkerPort, StartTimeout);
    }

    /// <summary>The container with PORT moved to a loopback port, once PORT is checked to be the port its probes use.</summary>
    private ContainerRun Listening(ContainerRun run, string workload, int port)
    {
        var probed = Chart.Container(workload, "medusa").Ports.Single(p => p.Name == "http").ContainerPort;
        Assert.True(run.Environment["PORT"] == $"{probed}", $"{run.Name} listens on PORT {run.Environment["PORT"]}, its probes and Service use {probed}");
        return run.With("PORT", $"{port}");
    }

    private Task<(int ExitCode, string Output)> RunToCompletionAsync(ContainerRun run) =>
        ContainerProcess.RunToCompletionAsync(_app, run, TimeSpan.FromMinutes(10));

    private async Task<T> Timed<T>(string step, Func<Task<T>> action)
    {
        var clock = Stopwatch.StartNew();
        var result = await action();
        Timings[step] = clock.Elapsed;
        return result;
    }

    private async Task Timed(string step, Func<Task> action) => await Timed(step, async () =>
    {
        await action();
        return true;
    });

    [GeneratedRegex("publishable key: (pk_[0-9a-f]+)")]
    private static partial Regex PublishableKeyLine();
}

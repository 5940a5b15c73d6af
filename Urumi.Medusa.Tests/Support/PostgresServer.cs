using Urumi.Testing;

namespace Urumi.Medusa.Tests.Support;

/// <summary>
/// Debian's PostgreSQL 15 on a free loopback port in a temporary data directory, with the user, password and
/// database the chart's postgres container is given (as the postgres image's entrypoint creates them).
/// PostgreSQL refuses to run as root: as root, it runs as the postgres user the Debian package creates.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _directory;
    private bool _started;

    private PostgresServer(string directory) => _directory = directory;

    public int Port { get; } = FreePort.Next();

    private string Data => Path.Combine(_directory, "data");

    public static async Task<PostgresServer> StartAsync(string user, string password, string database)
    {
        var server = new PostgresServer(Directory.CreateTempSubdirectory("urumi-medusa-pg-").FullName);
        try
        {
            await server.InitializeAsync(user, password, database);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(string user, string password, string database)
    {
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(passwordFile, password);
        if (Environment.UserName == "root")
        {
            (await CommandLine.RunAsync("chown", ["-R", "postgres", _directory])).EnsureSuccess();
        }
        (await AsServerUser($"{Bin}/initdb", "-D", Data, "-U", user, $"--pwfile={passwordFile}", "--auth=scram-sha-256")).EnsureSuccess();
        File.Delete(passwordFile);
        _started = true;
        (await AsServerUser($"{Bin}/pg_ctl", "-D", Data, "-l", Path.Combine(_directory, "log"), "-w", "-t", "60",
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_directory}", "start")).EnsureSuccess();
        (await CommandLine.RunAsync("createdb", ["-h", "127.0.0.1", "-p", $"{Port}", "-U", user, database],
            new Dictionary<string, string> { ["PGPASSWORD"] = password })).EnsureSuccess();
    }

    public string Log => File.Exists(Path.Combine(_directory, "log")) ? File.ReadAllText(Path.Combine(_directory, "log")) : "";

    private static Task<CommandResult> AsServerUser(string program, params string[] arguments) =>
        Environment.UserName == "root"
            ? CommandLine.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], timeout: TimeSpan.FromMinutes(2))
            : CommandLine.RunAsync(program, arguments, timeout: TimeSpan.FromMinutes(2));

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await AsServerUser($"{Bin}/pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        Directory.Delete(_directory, recursive: true);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Puhui.Testing;

/// <summary>
/// A throw-away PostgreSQL cluster on a free loopback port: initdb into a temporary directory, pg_ctl start,
/// and on dispose pg_ctl stop and delete. Runs the server as the <c>postgres</c> user when started as root,
/// since initdb refuses root. Used by the tests and the benchmarks so that neither needs a server beforehand.
/// </summary>
public sealed class TemporaryPostgres : IAsyncDisposable
{
    public const string SkipVariable = "PUHUI_SKIP_POSTGRES";
    private readonly string _root;
    private readonly string _binDir;
    private readonly bool _asPostgresUser;

    private TemporaryPostgres(string root, string binDir, bool asPostgresUser, int port)
    {
        _root = root;
        _binDir = binDir;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    public static bool SkipRequested => Environment.GetEnvironmentVariable(SkipVariable) == "1";

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 40,
        Timeout = 30,
        CommandTimeout = 120,
    }.ToString();

    /// <summary>Starts a cluster. <paramref name="durable"/> false turns fsync off, which only a crash of the machine could notice.</summary>
    public static async Task<TemporaryPostgres> StartAsync(bool durable = false)
    {
        var binDir = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. "
            + "Install them with `apt-get install -y postgresql`, or set PUHUI_SKIP_POSTGRES=1 to skip the PostgreSQL tests on purpose.");
        var asPostgresUser = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";
        var root = Path.Combine(Path.GetTempPath(), "puhui-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (asPostgresUser) await RunAsync("chown", ["postgres:postgres", root], null);

        var data = Path.Combine(root, "data");
        await RunAsync(Path.Combine(binDir, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], asPostgresUser ? "postgres" : null);
        var port = FreePort();
        var options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB"
            + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            + " " + Environment.GetEnvironmentVariable("PUHUI_PG_OPTIONS");
        await RunAsync(Path.Combine(binDir, "pg_ctl"), ["-D", data, "-l", Path.Combine(root, "server.log"), "-o", options, "-w", "-t", "60", "start"], asPostgresUser ? "postgres" : null);
        StartWatchdog(Environment.ProcessId, Path.Combine(binDir, "pg_ctl"), data, root, asPostgresUser);
        return new TemporaryPostgres(root, binDir, asPostgresUser, port);
    }

    /// <summary>
    /// Stops the cluster and deletes it once the process that started it is gone, however it went: a test host that
    /// is killed, or ends without running its exit handlers, must not leave servers behind. The watchdog runs in its
    /// own session, so killing the host's process tree does not take it along; after a normal dispose it finds
    /// nothing to stop.
    /// </summary>
    private static void StartWatchdog(int owner, string pgCtl, string data, string root, bool asPostgresUser)
    {
        var stop = (asPostgresUser ? "runuser -u postgres -- " : "") + $"'{pgCtl}' -D '{data}' -m immediate -w stop";
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {owner}; do sleep 2; done; {stop}; rm -rf '{root}'";
        var info = new ProcessStartInfo("setsid", ["sh", "-c", script])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var watchdog = Process.Start(info);
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>The server's log so far.</summary>
    public string ReadLog() => File.ReadAllText(Path.Combine(_root, "server.log"));

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_binDir, "pg_ctl"), ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"], _asPostgresUser ? "postgres" : null);
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary directory is harmless; failing the run over it is not.
            }
        }
    }

    private static string? FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        }

        const string debian = "/usr/lib/postgresql";
        if (!Directory.Exists(debian)) return null;
        return Directory.GetDirectories(debian)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, string? asUser)
    {
        var info = new ProcessStartInfo(asUser is null ? file : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asUser is not null)
        {
            foreach (var a in new[] { "-u", asUser, "--", file }) info.ArgumentList.Add(a);
        }

        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hephaestus.Data.Embedded;
using Npgsql;

namespace Hephaestus.Testing;

/// <summary>
/// A real PgBouncer in transaction mode on 127.0.0.1 in front of the test cluster, started once per test process on first
/// use and stopped by <see cref="TestClusterLifetime"/> before the cluster, with its own ini and userlist in a temporary directory (as the
/// postgres OS user when this process is root: PgBouncer refuses to run as root). Not installed is a failure that says how
/// to install it, never a skip. It hands out server connections round robin (<c>server_round_robin = 1</c>), so two
/// consecutive transactions of one client usually land on different server sessions: anything that leans on session
/// state (a session advisory lock, a SET, a prepared statement) fails here instead of passing by luck.
/// </summary>
public sealed class TestPgBouncer
{
    /// <summary>A path to the pgbouncer executable, overriding the search (/usr/sbin, then PATH).</summary>
    public const string EnvironmentVariable = "HEPHAESTUS_PGBOUNCER";

    static readonly TimeSpan StartBound = TimeSpan.FromSeconds(30);
    static Task<TestPgBouncer>? _instance;

    readonly Process _process;
    readonly string _directory;

    TestPgBouncer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static Task<TestPgBouncer> GetAsync() => LazyInitializer.EnsureInitialized(ref _instance, StartAsync);

    /// <summary>The same database, user and password as <paramref name="directConnectionString"/>, through PgBouncer.</summary>
    public string ConnectionString(string directConnectionString) =>
        new NpgsqlConnectionStringBuilder(directConnectionString) { Host = "127.0.0.1", Port = Port }.ConnectionString;

    static async Task<TestPgBouncer> StartAsync()
    {
        var executable = FindExecutable() ?? throw new InvalidOperationException(
            "PgBouncer is not installed. Install it with `apt-get install -y pgbouncer` (.ci/run does), or set " +
            $"{EnvironmentVariable} to a pgbouncer executable.");
        var cluster = await TestCluster.GetAsync();
        var server = new NpgsqlConnectionStringBuilder(cluster.SuperuserConnectionString);
        var runAs = Environment.UserName == "root" ? "postgres" : null;

        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var directory = Path.Combine(Path.GetTempPath(), "hephaestus-pgbouncer-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(directory);
            var port = FreePort();
            WriteConfiguration(directory, server.Host ?? "127.0.0.1", server.Port, port);
            if (runAs is not null) HandOver(directory, runAs);
            var process = Start(executable, directory, runAs);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => HelperProcess.StopQuietly(process, directory, "pgbouncer");
            try
            {
                await WaitUntilAnsweringAsync(process, directory, port, cluster);
                return new TestPgBouncer(process, directory, port);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                last = e; // most likely the port was taken between choosing it and binding it: try another
                HelperProcess.StopQuietly(process, directory, "pgbouncer");
            }
        }

        throw new InvalidOperationException("PgBouncer did not start", last);
    }

    static void WriteConfiguration(string directory, string serverHost, int serverPort, int port)
    {
        // Debian's pgbouncer 1.18: transaction mode carries no protocol-level prepared statements, and the startup
        // parameter "options" is refused (ignore_startup_parameters may list only parameters it may drop silently).
        File.WriteAllText(Path.Combine(directory, "pgbouncer.ini"), $"""
            [databases]
            * = host={serverHost} port={serverPort}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = scram-sha-256
            auth_file = {Path.Combine(directory, "userlist.txt")}
            pool_mode = transaction
            server_round_robin = 1
            max_client_conn = 1000
            default_pool_size = 20
            max_db_connections = 60
            ignore_startup_parameters = extra_float_digits
            logfile = {Path.Combine(directory, "pgbouncer.log")}
            pidfile = {Path.Combine(directory, "pgbouncer.pid")}
            """);
        File.WriteAllText(Path.Combine(directory, "userlist.txt"),
            $"\"{EmbeddedProvisioner.AppLogin}\" \"{TestCluster.AppPassword}\"\n\"{EmbeddedProvisioner.OwnerRole}\" \"{TestCluster.OwnerPassword}\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(directory, "userlist.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    static Process Start(string executable, string directory, string? runAs)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (runAs is null)
        {
            start.FileName = executable;
        }
        else
        {
            start.FileName = "runuser";
            foreach (var arg in new[] { "-u", runAs, "--", executable }) start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(Path.Combine(directory, "pgbouncer.ini"));
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start pgbouncer");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task WaitUntilAnsweringAsync(Process process, string directory, int port, TestCluster cluster)
    {
        var probe = new NpgsqlConnectionStringBuilder(cluster.SuperuserConnectionString)
        {
            Host = "127.0.0.1", Port = port, Database = "postgres", Username = EmbeddedProvisioner.AppLogin,
            Password = TestCluster.AppPassword, Pooling = false, Timeout = 5,
        }.ConnectionString;
        var deadline = DateTime.UtcNow + StartBound;
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"pgbouncer exited at start: {Log(directory)}");
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (NpgsqlException e)
            {
                throw new TimeoutException($"pgbouncer did not answer on 127.0.0.1:{port}: {e.Message} {Log(directory)}", e);
            }
        }
    }

    static string Log(string directory)
    {
        var log = Path.Combine(directory, "pgbouncer.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static void HandOver(string directory, string user)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", $"{user}:{user}", directory]) { UseShellExecute = false })!;
        chown.WaitForExit();
        if (chown.ExitCode != 0) throw new InvalidOperationException($"chown {user} {directory} failed");
    }

    /// <summary>HEPHAESTUS_PGBOUNCER, else /usr/sbin/pgbouncer (Debian's package), else PATH.</summary>
    static string? FindExecutable()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        if (File.Exists("/usr/sbin/pgbouncer")) return "/usr/sbin/pgbouncer";
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "pgbouncer"))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Stops this process's PgBouncer, if it started one, and deletes its directory.</summary>
    public static async Task StopIfStartedAsync()
    {
        if (_instance is null) return;
        TestPgBouncer bouncer;
        try
        {
            bouncer = await _instance;
        }
        catch (InvalidOperationException)
        {
            return; // it never started: the tests that needed it failed with the reason
        }

        await Task.Run(() => HelperProcess.StopQuietly(bouncer._process, bouncer._directory, "pgbouncer"));
    }
}

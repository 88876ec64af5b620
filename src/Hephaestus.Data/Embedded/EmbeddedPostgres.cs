using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hephaestus.Data.Embedded;

public sealed record EmbeddedPostgresOptions
{
    /// <summary>The PostgreSQL data directory (PGDATA). Created and initialised on first start.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Folder of initdb/pg_ctl/postgres; found automatically when null.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one at every start.</summary>
    public int Port { get; init; }

    /// <summary>Extra server settings written to postgresql.conf at initdb time (tests turn fsync off here).</summary>
    public IReadOnlyDictionary<string, string> InitialSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>OS user that runs PostgreSQL when this process is root (the server refuses to run as root).</summary>
    public string RootRunsAs { get; init; } = "postgres";
}

/// <summary>
/// A private PostgreSQL cluster started from the machine's server binaries: initdb on first run,
/// pg_ctl start on 127.0.0.1 (no Unix socket), a clean fast shutdown on stop. The superuser password is
/// generated at initdb and kept in <see cref="SecretsFileName"/> inside the data directory (mode 0700).
/// </summary>
public sealed partial class EmbeddedPostgres : IAsyncDisposable
{
    public const string SecretsFileName = "hephaestus.secrets";
    const string Superuser = "postgres";

    readonly EmbeddedPostgresOptions _options;
    readonly ILogger _logger;
    readonly string _binDirectory;
    bool _stopped;

    EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger logger, string binDirectory, EmbeddedSecrets secrets, int port)
    {
        _options = options;
        _logger = logger;
        _binDirectory = binDirectory;
        Secrets = secrets;
        Port = port;
    }

    public int Port { get; }
    public string DataDirectory => _options.DataDirectory;
    public string BinDirectory => _binDirectory;

    /// <summary>Runs the server's programs as the cluster's OS user (runuser when this process is root), as start and stop do.</summary>
    internal ServerProcessRunner Runner(string? binDirectory = null) => new(binDirectory ?? _binDirectory, IsRoot() ? _options.RootRunsAs : null);

    internal string RootRunsAs => _options.RootRunsAs;
    public EmbeddedSecrets Secrets { get; }

    /// <summary>True when the data directory had to be initialised by this start.</summary>
    public bool CreatedNow { get; private set; }

    public string ConnectionString(string database = "postgres", string? user = null, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = user ?? Superuser,
            Password = password ?? Secrets.SuperuserPassword,
        }.ConnectionString;

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger logger, CancellationToken ct = default)
    {
        var binDirectory = PostgresBinaries.Find(options.BinDirectory);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dataDirectory };
        var runner = new ServerProcessRunner(binDirectory, IsRoot() ? options.RootRunsAs : null);

        var createdNow = false;
        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            await InitDbAsync(options, runner, logger, ct);
            createdNow = true;
        }

        var secrets = EmbeddedSecrets.Read(dataDirectory);
        await ClearStalePidFileAsync(dataDirectory, runner, logger, ct);

        // A free port can be taken between probing and binding; try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port != 0 ? options.Port : FreePort();
            var result = await PgCtlStartAsync(runner, dataDirectory, port, ct);
            if (result.ExitCode == 0)
            {
                var cluster = new EmbeddedPostgres(options, logger, binDirectory, secrets, port) { CreatedNow = createdNow };
                await cluster.WaitUntilAcceptingAsync(ct);
                logger.LogInformation("Embedded PostgreSQL {Version} is running on 127.0.0.1:{Port} with data in {DataDirectory}",
                    await cluster.ServerVersionAsync(ct), port, dataDirectory);
                return cluster;
            }

            var log = ReadTail(Path.Combine(dataDirectory, "startup.log"));
            if (attempt >= 3 || options.Port != 0 || !log.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"pg_ctl could not start PostgreSQL in {dataDirectory} (exit {result.ExitCode}): {result.Output}\n{log}");
            }
        }
    }

    /// <summary>pg_ctl start, waiting until the server accepts connections (after crash recovery, when there is one).</summary>
    static Task<ServerProcessRunner.Result> PgCtlStartAsync(ServerProcessRunner runner, string dataDirectory, int port, CancellationToken ct) =>
        runner.RunAsync("pg_ctl",
            ["start", "-D", dataDirectory, "-w", "-t", "60", "-s", "-l", Path.Combine(dataDirectory, "startup.log"), "-o", $"-p {port}"], ct);

    /// <summary>
    /// Whether this cluster's postmaster runs: the PID in postmaster.pid is a live (not zombie) postgres process serving
    /// this data directory. False once it was killed or stopped behind our back (the file is gone, or names a dead or
    /// reused PID).
    /// </summary>
    public bool IsPostmasterRunning()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(DataDirectory, "postmaster.pid"));
        }
        catch (IOException)
        {
            return false;
        }

        return lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
            && LinuxProcess.IsRunning(pid) && IsPostmasterOf(ReadArgv(pid), ReadCwd(pid), DataDirectory);
    }

    /// <summary>
    /// Starts the postmaster again on the same port (connection strings name it) after it exited unexpectedly: clears what
    /// it left (a stale pid file), and PostgreSQL replays its WAL before it accepts connections. Throws when it does not start.
    /// </summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        var runner = Runner();
        await ClearStalePidFileAsync(DataDirectory, runner, _logger, ct);
        var result = await PgCtlStartAsync(runner, DataDirectory, Port, ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"pg_ctl could not restart PostgreSQL in {DataDirectory} (exit {result.ExitCode}): {result.Output}\n{ReadTail(Path.Combine(DataDirectory, "startup.log"))}");
        }

        await WaitUntilAcceptingAsync(ct);
    }

    public Task StopAsync(CancellationToken ct = default) => StopAsync(immediate: false, ct);

    /// <summary>
    /// Stops the server: a fast shutdown (a checkpoint, then exit) unless <paramref name="immediate"/>, which skips the
    /// checkpoint and leaves crash recovery to the next start: only for throwaway clusters (tests), where the checkpoint
    /// of hundreds of MB of dirty buffers is seconds of work for data that is deleted next.
    /// </summary>
    public async Task StopAsync(bool immediate, CancellationToken ct = default)
    {
        if (_stopped) return;
        _stopped = true;
        var runner = Runner();
        var result = await runner.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60", "-s"], ct);
        if (result.ExitCode != 0)
        {
            _logger.LogWarning("pg_ctl stop exited with {ExitCode}: {Output}", result.ExitCode, result.Output);
        }
        else
        {
            _logger.LogInformation("Embedded PostgreSQL stopped cleanly");
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    async Task WaitUntilAcceptingAsync(CancellationToken ct)
    {
        // pg_ctl -w already waited; this guards against a server that is up but still recovering.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                await connection.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    async Task<string> ServerVersionAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(ct);
        return connection.PostgreSqlVersion.ToString();
    }

    static async Task InitDbAsync(EmbeddedPostgresOptions options, ServerProcessRunner runner, ILogger logger, CancellationToken ct)
    {
        var dataDirectory = options.DataDirectory;
        logger.LogInformation("Initialising a new PostgreSQL cluster in {DataDirectory}", dataDirectory);
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new InvalidOperationException(
                $"{dataDirectory} is not empty and holds no PostgreSQL cluster (no PG_VERSION). Move it away or set Embedded:DataDirectory.");
        }

        Directory.CreateDirectory(dataDirectory);
        runner.HandOver(dataDirectory);

        var secrets = EmbeddedSecrets.Generate();
        // initdb reads the superuser password from a file; it must be readable by the server's OS user (HandOver gives
        // it to that user) and by no one else, from its first byte: it is created 0600 in a shared temporary folder.
        var passwordFile = Path.Combine(Path.GetTempPath(), $"hephaestus-pw-{Guid.NewGuid():N}");
        PrivateFile.Create(passwordFile, secrets.SuperuserPassword);
        try
        {
            runner.HandOver(passwordFile);
            var result = await runner.RunAsync("initdb",
            [
                "-D", dataDirectory, "-U", Superuser, "--pwfile", passwordFile, "--auth", "scram-sha-256",
                "--encoding", "UTF8", "--locale", "C.UTF-8", "--data-checksums",
            ], ct);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed (exit {result.ExitCode}): {result.Output}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        var settings = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["unix_socket_directories"] = "''",
            ["logging_collector"] = "on",
            ["log_directory"] = "'log'",
            ["log_rotation_size"] = "'10MB'",
            ["max_connections"] = "200",
            ["shared_buffers"] = SharedBuffers(),
        };
        // Statement statistics (EmbeddedProvisioner creates the extension): preloaded only when the server has the module,
        // since a missing preload library stops the server from starting.
        if (PostgresBinaries.HasModule(runner.BinDirectory, "pg_stat_statements")) settings["shared_preload_libraries"] = "'pg_stat_statements'";
        foreach (var (key, value) in options.InitialSettings) settings[key] = value;
        var conf = new StringBuilder("\n# Written by Hephaestus at initdb: a private server reachable on 127.0.0.1 only.\n");
        foreach (var (key, value) in settings) conf.Append(CultureInfo.InvariantCulture, $"{key} = {value}\n");
        await File.AppendAllTextAsync(Path.Combine(dataDirectory, "postgresql.conf"), conf.ToString(), ct);

        secrets.Write(dataDirectory);
    }

    /// <summary>
    /// postmaster.pid survives a crash or kill -9. PostgreSQL itself ignores it when that PID is gone, but refuses to start
    /// when the PID now belongs to another process (common in containers). A live postmaster on this very data directory is
    /// an orphan of a killed Hephaestus: stop it cleanly rather than start a second one.
    /// </summary>
    static async Task ClearStalePidFileAsync(string dataDirectory, ServerProcessRunner runner, ILogger logger, CancellationToken ct)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length < 2 || !int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            logger.LogWarning("Removing unreadable {PidFile}", pidFile);
            File.Delete(pidFile);
            return;
        }

        // The file is ours, so its line 2 always names this directory: what matters is what the PID is now.
        var isOurPostmaster = IsPostmasterOf(ReadArgv(pid), ReadCwd(pid), dataDirectory);
        if (isOurPostmaster)
        {
            logger.LogWarning("A PostgreSQL server (pid {Pid}) left running by an earlier process is using {DataDirectory}; stopping it", pid, dataDirectory);
            await runner.RunAsync("pg_ctl", ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "-s"], ct);
        }
        else
        {
            logger.LogWarning("Removing stale {PidFile} (pid {Pid} is not a PostgreSQL server on this data directory)", pidFile, pid);
            File.Delete(pidFile);
        }
    }

    /// <summary>
    /// Whether a process is a postmaster serving <paramref name="dataDirectory"/>, judged from its argv
    /// (/proc/&lt;pid&gt;/cmdline) and working directory (/proc/&lt;pid&gt;/cwd, null if unreadable). After a crash the PID
    /// in postmaster.pid may belong to anything, including another cluster's postmaster or a program whose arguments merely
    /// mention "postgres"; signalling those would be wrong. So: the program must be postgres (or postmaster), and either its
    /// -D names this directory (pg_ctl starts it with our full path) or it runs in this directory (the server chdirs into
    /// its data directory at start).
    /// </summary>
    internal static bool IsPostmasterOf(IReadOnlyList<string> argv, string? cwd, string dataDirectory)
    {
        if (argv.Count == 0 || Path.GetFileName(argv[0]) is not ("postgres" or "postmaster")) return false;
        var ours = Normalize(dataDirectory);
        if (cwd is not null && Path.IsPathRooted(cwd) && string.Equals(Normalize(cwd), ours, StringComparison.Ordinal)) return true;
        for (var i = 1; i < argv.Count; i++)
        {
            // "-D dir" or "-Ddir"; a relative directory cannot be resolved (the server has left the directory it started in).
            string? directory = null;
            if (argv[i] == "-D" && i + 1 < argv.Count) directory = argv[++i];
            else if (argv[i].StartsWith("-D", StringComparison.Ordinal)) directory = argv[i][2..];
            if (directory is { Length: > 0 } && Path.IsPathRooted(directory) && string.Equals(Normalize(directory), ours, StringComparison.Ordinal)) return true;
        }

        return false;

        static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
    }

    /// <summary>The arguments of a process (NUL-separated in /proc), empty when it is gone or unreadable.</summary>
    internal static string[] ReadArgv(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline");
            return text.Length == 0 ? [] : text.TrimEnd('\0').Split('\0');
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Where a process runs (the target of /proc/&lt;pid&gt;/cwd), null when it is gone or unreadable.</summary>
    internal static string? ReadCwd(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A quarter of the memory this process may use (the usual advice for a dedicated server), between PostgreSQL's
    /// default of 128 MB and 4 GB: the default alone leaves a database of a few GB mostly outside shared buffers.
    /// Allocated lazily by the kernel, so a large value costs nothing until pages are used.
    /// </summary>
    static string SharedBuffers()
    {
        var quarterMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 / (1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"'{Math.Clamp(quarterMb, 128, 4096)}MB'");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string ReadTail(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length > 4000 ? text[^4000..] : text;
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    internal static bool IsRoot() => OperatingSystem.IsLinux() && Environment.UserName == "root";
}

/// <summary>Generated passwords and keys of an embedded installation, kept in the data directory.</summary>
public sealed record EmbeddedSecrets(string SuperuserPassword, string OwnerPassword, string AppPassword, string SigningKey)
{
    public static EmbeddedSecrets Generate() => new(NewSecret(), NewSecret(), NewSecret(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    public void Write(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, EmbeddedPostgres.SecretsFileName);
        PrivateFile.Create(path, System.Text.Json.JsonSerializer.Serialize(this));
    }

    public static EmbeddedSecrets Read(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, EmbeddedPostgres.SecretsFileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{dataDirectory} holds a PostgreSQL cluster that Hephaestus did not create ({EmbeddedPostgres.SecretsFileName} is missing). " +
                "Point Embedded:DataDirectory at an empty folder, or use ConnectionStrings:Hephaestus for an existing server.");
        }

        return System.Text.Json.JsonSerializer.Deserialize<EmbeddedSecrets>(File.ReadAllText(path))
            ?? throw new InvalidOperationException($"{path} is empty");
    }
}

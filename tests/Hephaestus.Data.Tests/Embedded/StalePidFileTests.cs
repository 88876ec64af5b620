using System.Diagnostics;
using System.Globalization;
using Hephaestus.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hephaestus.Data.Tests.Embedded;

/// <summary>
/// A stale postmaster.pid whose PID now belongs to another process: only our own postmaster may be stopped through it.
/// </summary>
public sealed class StalePidFileTests : IDisposable
{
    const string Ours = "/var/lib/hephaestus/pg";
    const string Postgres = "/usr/lib/postgresql/17/bin/postgres";

    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-stalepid-" + Guid.NewGuid().ToString("N")[..10]);
    readonly List<EmbeddedPostgres> _started = [];
    Process? _impostor;

    // ---- the decision, without a server ----------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { Postgres, "-D", Ours, "-p", "54321" }, null)] // as pg_ctl starts it
    [InlineData(new[] { Postgres, "-D", Ours + "/", "-p", "54321" }, null)]
    [InlineData(new[] { Postgres, "-D" + Ours }, null)]
    [InlineData(new[] { "postgres", "-D", Ours }, null)]
    [InlineData(new[] { "/usr/local/pgsql/bin/postmaster", "-D", Ours }, null)]
    [InlineData(new[] { Postgres, "-D", "/var/lib/hephaestus/./x/../pg" }, null)]
    [InlineData(new[] { Postgres }, Ours)] // started with PGDATA: it runs in its data directory
    [InlineData(new[] { Postgres, "-D", "pg" }, Ours)]
    public void Our_postmaster_is_recognised(string[] argv, string? cwd)
    {
        Assert.True(EmbeddedPostgres.IsPostmasterOf(argv, cwd, Ours));
    }

    [Theory]
    [InlineData(new[] { Postgres, "-D", "/var/lib/postgresql/17/main", "-p", "5432" }, null)] // another cluster's postmaster
    [InlineData(new[] { Postgres, "-D", "/var/lib/postgresql/17/main" }, "/var/lib/postgresql/17/main")]
    [InlineData(new[] { Postgres, "-D", "/var/lib/hephaestus/pg2" }, null)]
    [InlineData(new[] { Postgres, "-D", "/var/lib/hephaestus" }, null)]
    [InlineData(new[] { Postgres, "-D", "pg" }, "/var/lib/hephaestus")] // relative: not resolvable once the server has moved
    [InlineData(new[] { Postgres }, null)]
    [InlineData(new[] { Postgres, "-D" }, null)]
    [InlineData(new[] { "/usr/bin/dotnet", "test", "/home/postgres/src/Hephaestus.slnx" }, "/home/postgres/src")]
    [InlineData(new[] { "/usr/bin/dotnet", "test", "-D", Ours, "postgres" }, null)]
    [InlineData(new[] { "/bin/sh", "-c", "sleep 60", "postgres", "-D", Ours }, null)]
    [InlineData(new[] { "/bin/bash" }, Ours)] // a shell that happens to be in our data directory
    [InlineData(new[] { "/usr/lib/postgresql/17/bin/pg_ctl", "start", "-D", Ours }, Ours)]
    [InlineData(new[] { "/opt/postgres/bin/postgres-exporter", "-D", Ours }, null)]
    [InlineData(new[] { "postgres: hephaestus: checkpointer " }, Ours)] // a backend rewrites its argv; it is not the postmaster
    [InlineData(new string[0], Ours)] // a zombie or kernel thread has no command line
    public void Anything_else_is_not_ours(string[] argv, string? cwd)
    {
        Assert.False(EmbeddedPostgres.IsPostmasterOf(argv, cwd, Ours));
    }

    [Fact]
    public void A_data_directory_given_with_a_trailing_slash_still_matches()
    {
        Assert.True(EmbeddedPostgres.IsPostmasterOf([Postgres, "-D", Ours], null, Ours + "/"));
        Assert.True(EmbeddedPostgres.IsPostmasterOf([Postgres], Ours, Ours + "/"));
    }

    [Fact]
    public void The_current_test_process_is_read_from_proc_and_is_not_a_postmaster()
    {
        var argv = EmbeddedPostgres.ReadArgv(Environment.ProcessId);
        Assert.NotEmpty(argv);
        Assert.Equal(Environment.CurrentDirectory, EmbeddedPostgres.ReadCwd(Environment.ProcessId));
        Assert.False(EmbeddedPostgres.IsPostmasterOf(argv, Environment.CurrentDirectory, Environment.CurrentDirectory));
        Assert.Empty(EmbeddedPostgres.ReadArgv(int.MaxValue));
        Assert.Null(EmbeddedPostgres.ReadCwd(int.MaxValue));
    }

    // ---- a real cluster --------------------------------------------------------------------------------------------

    string DataDirectory => Path.Combine(_root, "pg");

    async Task<EmbeddedPostgres> StartAsync()
    {
        Directory.CreateDirectory(_root);
        var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = DataDirectory,
            InitialSettings = new Dictionary<string, string> { ["fsync"] = "off" },
        }, NullLogger.Instance);
        _started.Add(cluster);
        return cluster;
    }

    [Fact]
    public async Task A_pid_reused_by_a_process_that_mentions_postgres_and_our_directory_is_left_alone()
    {
        var first = await StartAsync();
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var lines = await File.ReadAllLinesAsync(pidFile);
        var postmasterPid = int.Parse(lines[0], CultureInfo.InvariantCulture);
        // What /proc shows of the real postmaster is recognised as ours.
        Assert.True(EmbeddedPostgres.IsPostmasterOf(EmbeddedPostgres.ReadArgv(postmasterPid), EmbeddedPostgres.ReadCwd(postmasterPid), DataDirectory));
        await first.StopAsync();
        Assert.False(File.Exists(pidFile));

        // After a crash the PID in the file now belongs to a process whose command line contains "postgres" and even
        // "-D <our directory>", but which is not a postmaster: it must not be signalled, and the file is stale.
        // It runs as the server's OS user, so that pg_ctl (run as that user when we are root) could signal it.
        // It waits on a pipe from us, so it has no child to leak and ends with this test process at the latest.
        string[] impostor = ["/bin/sh", "-c", "read line", "postgres", "-D", DataDirectory];
        _impostor = Process.Start(EmbeddedPostgres.IsRoot()
            ? new ProcessStartInfo("setpriv", ["--reuid", "postgres", "--regid", "postgres", "--clear-groups", "--", .. impostor]) { UseShellExecute = false, RedirectStandardInput = true }
            : new ProcessStartInfo(impostor[0], impostor[1..]) { UseShellExecute = false, RedirectStandardInput = true })!;
        await WaitUntilAsync(() => EmbeddedPostgres.ReadArgv(_impostor.Id) is [_, "-c", ..]); // setpriv has exec'd the shell
        lines[0] = _impostor.Id.ToString(CultureInfo.InvariantCulture);
        await File.WriteAllLinesAsync(pidFile, lines);
        Assert.False(EmbeddedPostgres.IsPostmasterOf(EmbeddedPostgres.ReadArgv(_impostor.Id), EmbeddedPostgres.ReadCwd(_impostor.Id), DataDirectory));

        var second = await StartAsync();
        Assert.False(_impostor.HasExited);
        await using var connection = new NpgsqlConnection(second.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        Assert.NotEqual(lines[0], (await File.ReadAllLinesAsync(pidFile))[0]);
    }

    static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }

    public void Dispose()
    {
        if (_impostor is { HasExited: false }) _impostor.Kill();
        _impostor?.WaitForExit();
        _impostor?.Dispose();
        foreach (var cluster in _started) cluster.StopAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}

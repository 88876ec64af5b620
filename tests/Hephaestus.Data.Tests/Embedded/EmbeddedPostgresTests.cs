using System.Diagnostics;
using Hephaestus.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hephaestus.Data.Tests.Embedded;

/// <summary>The launcher on its own clusters (not the shared test cluster): first run, restart, crash, orphan, no binaries.</summary>
public sealed class EmbeddedPostgresTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-launcher-" + Guid.NewGuid().ToString("N")[..10]);
    readonly List<EmbeddedPostgres> _started = [];

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

    static async Task<object?> ScalarAsync(EmbeddedPostgres cluster, string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task First_start_initialises_a_private_checksummed_utf8_cluster_on_loopback()
    {
        var cluster = await StartAsync();
        Assert.True(cluster.CreatedNow);
        Assert.True(File.Exists(Path.Combine(DataDirectory, "PG_VERSION")));
        Assert.Equal("on", await ScalarAsync(cluster, "SHOW data_checksums"));
        Assert.Equal("UTF8", await ScalarAsync(cluster, "SHOW server_encoding"));
        Assert.Equal("127.0.0.1", await ScalarAsync(cluster, "SHOW listen_addresses"));
        var secrets = Path.Combine(DataDirectory, EmbeddedPostgres.SecretsFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secrets));
        // The superuser needs its generated password: trust authentication is not configured.
        await using var wrong = new NpgsqlConnection(cluster.ConnectionString(password: "wrong") + ";Pooling=false");
        await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync());
    }

    [Fact]
    public async Task A_restart_keeps_every_row()
    {
        var first = await StartAsync();
        await ScalarAsync(first, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
        await first.StopAsync();
        Assert.False(File.Exists(Path.Combine(DataDirectory, "postmaster.pid")));

        var second = await StartAsync();
        Assert.False(second.CreatedNow);
        Assert.Equal("still here", await ScalarAsync(second, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task After_kill_9_and_a_reused_pid_the_next_start_recovers_with_the_data()
    {
        var first = await StartAsync();
        await ScalarAsync(first, "CREATE TABLE crash (v int); INSERT INTO crash VALUES (42)");
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var lines = await File.ReadAllLinesAsync(pidFile);
        var postmaster = Process.GetProcessById(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture));
        postmaster.Kill();
        await postmaster.WaitForExitAsync();
        await Task.Delay(500); // let the backends notice the postmaster is gone
        Assert.True(File.Exists(pidFile));

        // Simulate PID reuse: the stale file now names a live process that is not PostgreSQL (this test process).
        lines[0] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllLinesAsync(pidFile, lines);

        var second = await StartAsync();
        Assert.False(second.CreatedNow);
        Assert.Equal(42, await ScalarAsync(second, "SELECT v FROM crash"));
    }

    [Fact]
    public async Task A_postmaster_orphaned_by_a_killed_service_is_stopped_and_the_cluster_started_again()
    {
        var orphan = await StartAsync();
        await ScalarAsync(orphan, "CREATE TABLE orphaned (v int); INSERT INTO orphaned VALUES (7)");
        var orphanPid = (await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "postmaster.pid")))[0];

        var second = await StartAsync(); // the first is still running: as if its service had been killed
        var newPid = (await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "postmaster.pid")))[0];
        Assert.NotEqual(orphanPid, newPid);
        Assert.False(IsRunning(orphanPid));
        Assert.Equal(7, await ScalarAsync(second, "SELECT v FROM orphaned"));
    }

    [Fact]
    public async Task A_non_empty_folder_that_is_not_a_cluster_is_refused_and_left_alone()
    {
        Directory.CreateDirectory(DataDirectory);
        var precious = Path.Combine(DataDirectory, "precious.txt");
        await File.WriteAllTextAsync(precious, "do not touch");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(StartAsync);
        Assert.Contains("not empty", error.Message, StringComparison.Ordinal);
        Assert.Equal("do not touch", await File.ReadAllTextAsync(precious));
    }

    [Fact]
    public void Missing_binaries_fail_with_what_to_install_or_configure()
    {
        var none = Assert.Throws<PostgresBinariesNotFoundException>(() =>
            PostgresBinaries.Find(null, pathVariable: "/nonexistent", usePgConfig: false, debianRoot: "/nonexistent"));
        Assert.Contains("apt-get install", none.Message, StringComparison.Ordinal);
        Assert.Contains("Embedded:BinDirectory", none.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Hephaestus", none.Message, StringComparison.Ordinal);

        var configured = Assert.Throws<PostgresBinariesNotFoundException>(() => PostgresBinaries.Find(_root));
        Assert.Contains(_root, configured.Message, StringComparison.Ordinal);

        Assert.True(File.Exists(Path.Combine(PostgresBinaries.Find(null), "initdb")));
        // Debian keeps the server binaries out of PATH: the versioned folder is found on its own.
        var debian = PostgresBinaries.Find(null, pathVariable: "", usePgConfig: false, debianRoot: "/usr/lib/postgresql");
        Assert.Matches("/usr/lib/postgresql/[0-9]+/bin", debian);
    }

    [Fact]
    public void A_module_is_found_beside_the_real_server_binary_even_through_links()
    {
        // An installation's layout: <root>/bin/postgres and <root>/lib/<module>.so; a PATH folder holds only links to bin.
        var installation = Path.Combine(_root, "pg", "15");
        Directory.CreateDirectory(Path.Combine(installation, "bin"));
        Directory.CreateDirectory(Path.Combine(installation, "lib"));
        File.WriteAllText(Path.Combine(installation, "bin", "postgres"), "");
        File.WriteAllText(Path.Combine(installation, "lib", "pg_stat_statements.so"), "");
        var links = Path.Combine(_root, "links");
        Directory.CreateDirectory(links);
        File.CreateSymbolicLink(Path.Combine(links, "postgres"), Path.Combine(installation, "bin", "postgres"));

        Assert.True(PostgresBinaries.HasModule(Path.Combine(installation, "bin"), "pg_stat_statements"));
        Assert.True(PostgresBinaries.HasModule(links, "pg_stat_statements"));
        Assert.False(PostgresBinaries.HasModule(links, "citus"));
    }

    /// <summary>A stopped postmaster may linger as a zombie until its adoptive parent reaps it; that is not running.</summary>
    static bool IsRunning(string pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        var text = File.ReadAllText(stat);
        return text[(text.LastIndexOf(')') + 2)..][0] != 'Z';
    }

    public void Dispose()
    {
        foreach (var cluster in _started) cluster.StopAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}

using Hephaestus.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Testing;

/// <summary>
/// A real streaming replica of the test cluster on 127.0.0.1 (pg_basebackup from it through the product's own
/// <see cref="EmbeddedReplica"/>), for the test classes that need one: it costs a base backup of the whole cluster, so
/// it is a class fixture's (<see cref="ReplicaDatabase"/>), never the default. It can be stopped and started again on
/// the same port, and its replay paused, to test what analytics do when the replica is down or lagging.
/// </summary>
public sealed class TestReplica : IAsyncDisposable
{
    static int _counter;

    readonly EmbeddedPostgres _primary;
    readonly string _directory;
    readonly string _slot;
    EmbeddedPostgres _server;

    TestReplica(EmbeddedPostgres primary, EmbeddedPostgres server, string directory, string slot)
    {
        _primary = primary;
        _server = server;
        _directory = directory;
        _slot = slot;
    }

    public int Port => _server.Port;

    public string SuperuserConnectionString => _server.ConnectionString();

    public static async Task<TestReplica> StartAsync(TestCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var primary = cluster.Embedded ?? throw new InvalidOperationException(
            $"The replica tests make a streaming replica of the throwaway test cluster; with {TestCluster.EnvironmentVariable} set there is " +
            "none to copy. Unset it to run them.");
        var directory = Path.Combine(Path.GetTempPath(), "hephaestus-replica-" + Guid.NewGuid().ToString("N")[..12]);
        var slot = $"test_replica_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
        var server = await EmbeddedReplica.StartAsync(primary, directory, slot, NullLogger.Instance, default);
        return new TestReplica(primary, server, directory, slot);
    }

    /// <summary>The same database, user and password as on the primary (the replica is a copy), on the replica's port.</summary>
    public string ConnectionString(string primaryConnectionString) =>
        new NpgsqlConnectionStringBuilder(primaryConnectionString) { Host = "127.0.0.1", Port = Port }.ConnectionString;

    /// <summary>Stops the replica at once (immediate shutdown): to analytics it is simply gone.</summary>
    public Task StopAsync() => _server.StopAsync(immediate: true);

    /// <summary>Starts the stopped replica again on the same port; it resumes streaming from its slot.</summary>
    public async Task StartAgainAsync() =>
        _server = await EmbeddedReplica.StartAsync(_primary, _directory, _slot, NullLogger.Instance, default, Port);

    public Task PauseReplayAsync() => ExecuteAsync("SELECT pg_wal_replay_pause()");

    public Task ResumeReplayAsync() => ExecuteAsync("SELECT pg_wal_replay_resume()");

    /// <summary>Waits until the replica has replayed everything the primary has written so far.</summary>
    public async Task WaitForReplayAsync(TimeSpan? timeout = null)
    {
        NpgsqlLogSequenceNumber target;
        await using (var primary = new NpgsqlConnection(_primary.ConnectionString() + ";Pooling=false"))
        {
            await primary.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn()", primary);
            target = (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync())!;
        }

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        await using var replica = new NpgsqlConnection(SuperuserConnectionString + ";Pooling=false");
        await replica.OpenAsync();
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()", replica);
            if (await command.ExecuteScalarAsync() is NpgsqlLogSequenceNumber replayed && replayed >= target) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the replica did not replay up to {target} in time");
            await Task.Delay(50);
        }
    }

    async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(immediate: true);
        // The walsender ends a moment after the replica: until then the slot is active and not dropped.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await EmbeddedReplica.DropUnusedSlotAsync(_primary, _slot, default);
            await using var connection = new NpgsqlConnection(_primary.ConnectionString() + ";Pooling=false");
            await connection.OpenAsync();
            await using var left = new NpgsqlCommand("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", connection)
            {
                Parameters = { new NpgsqlParameter<string> { TypedValue = _slot } },
            };
            if ((long)(await left.ExecuteScalarAsync())! == 0) break;
            await Task.Delay(100);
        }

        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>An API test database with a streaming replica of the cluster beside it (started after the database, so it holds it).</summary>
public class ReplicaDatabase : ApiDatabase
{
    TestReplica? _replica;

    public TestReplica Replica => _replica ?? throw new InvalidOperationException("not initialised");

    /// <summary>The service's login on this database, on the replica.</summary>
    public string ReplicaAppConnectionString => Replica.ConnectionString(AppConnectionString);

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _replica = await TestReplica.StartAsync(Cluster);
        await Replica.WaitForReplayAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_replica is not null) await _replica.DisposeAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The service reading analytics from this replica, with these Analytics: settings (and any other).</summary>
    public ApiFactory ApiWithReplica(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?> { ["ConnectionStrings:Analytics"] = ReplicaAppConnectionString };
        foreach (var (key, value) in settings) all[key] = value;
        return new ApiFactory(this, all);
    }
}

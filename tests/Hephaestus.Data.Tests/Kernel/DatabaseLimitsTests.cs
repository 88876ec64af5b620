using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Kernel;

/// <summary>
/// Each kind of work gets its session limits from its data source, with no round trip of its own: the API's sessions
/// wait 2 s for a lock and 10 s for a statement, migrations and CLI verbs are never cut off, and a connection string
/// keeps the last word on each setting.
/// </summary>
public sealed class DatabaseLimitsTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static async Task<string?> ShowAsync(NpgsqlDataSource dataSource, string setting)
    {
        await using var command = dataSource.CreateCommand("SELECT current_setting($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = setting });
        return (string?)await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Interactive_sessions_time_out_and_maintenance_sessions_do_not()
    {
        await using var interactive = HephaestusDatabase.CreateDataSource(db.AppConnectionString, DatabaseLimits.Interactive);
        Assert.Equal("10s", await ShowAsync(interactive, "statement_timeout"));
        Assert.Equal("2s", await ShowAsync(interactive, "lock_timeout"));
        Assert.Equal("1min", await ShowAsync(interactive, "idle_in_transaction_session_timeout"));
        var pool = new NpgsqlConnectionStringBuilder(interactive.ConnectionString);
        Assert.Equal(40, pool.MaxPoolSize);
        Assert.Equal(5, pool.Timeout);

        await using var maintenance = HephaestusDatabase.CreateDataSource(db.OwnerConnectionString, DatabaseLimits.Maintenance);
        Assert.Equal("0", await ShowAsync(maintenance, "statement_timeout"));
        Assert.Equal("0", await ShowAsync(maintenance, "lock_timeout"));
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(maintenance.ConnectionString).CommandTimeout);
    }

    [Fact]
    public async Task A_connection_string_keeps_its_own_options_pool_size_and_wait()
    {
        var own = db.AppConnectionString + ";Options=-c lock_timeout=7s;Maximum Pool Size=3;Timeout=9";
        await using var dataSource = HephaestusDatabase.CreateDataSource(own, DatabaseLimits.Interactive);
        Assert.Equal("7s", await ShowAsync(dataSource, "lock_timeout"));
        Assert.Equal("10s", await ShowAsync(dataSource, "statement_timeout"));
        var pool = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(3, pool.MaxPoolSize);
        Assert.Equal(9, pool.Timeout);
    }

    [Fact]
    public async Task An_interactive_connection_returns_to_the_pool_without_a_reset_and_without_its_actor()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await db.CreateUserAsync($"pooled-{Guid.NewGuid():N}@limits.test", "admin");
        // One pooled connection, so the second use is the same server session as the first.
        await using var interactive = HephaestusDatabase.CreateDataSource(db.AppConnectionString + ";Maximum Pool Size=1", DatabaseLimits.Interactive);
        int firstSession;
        await using (var connection = await interactive.OpenConnectionAsync(ct))
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { ActorSession.BatchCommand(new Actor(id, ["admin"])), new NpgsqlBatchCommand("SELECT pg_backend_pid()") },
            };
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            firstSession = reader.GetInt32(0);
            // A session setting the reset would have cleared (RESET ALL): it survives, so no reset ran.
            await reader.CloseAsync();
            await using var set = new NpgsqlCommand("SET application_name = 'left-by-the-first-use'", connection);
            await set.ExecuteNonQueryAsync(ct);
        }

        await using (var connection = await interactive.OpenConnectionAsync(ct))
        {
            await using var read = new NpgsqlCommand(
                "SELECT pg_backend_pid(), current_setting('application_name'), coalesce(current_setting('hephaestus.user_id', true), '')", connection);
            await using var reader = await read.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            Assert.Equal(firstSession, reader.GetInt32(0));
            Assert.Equal("left-by-the-first-use", reader.GetString(1));
            // The actor was transaction-local: the next user of the session acts for no one.
            Assert.Equal("", reader.GetString(2));
        }

        Assert.True(new NpgsqlConnectionStringBuilder(interactive.ConnectionString).NoResetOnClose);
        await using var maintenance = HephaestusDatabase.CreateDataSource(db.OwnerConnectionString, DatabaseLimits.Maintenance);
        Assert.False(new NpgsqlConnectionStringBuilder(maintenance.ConnectionString).NoResetOnClose);
    }

    [Fact]
    public async Task A_row_held_by_other_work_ends_an_interactive_wait_with_lock_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await db.CreateUserAsync($"held-{Guid.NewGuid():N}@limits.test", "admin");
        await using var holder = await db.Owner.OpenConnectionAsync(ct);
        await using var hold = await holder.BeginTransactionAsync(ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM hephaestus.users WHERE id = $1 FOR UPDATE", holder, hold) { Parameters = { new() { Value = id } } })
        {
            await lockRow.ExecuteNonQueryAsync(ct);
        }

        await using var interactive = HephaestusDatabase.CreateDataSource(db.AppConnectionString, DatabaseLimits.Interactive);
        await using var scope = await ActorScope.BeginAsync(interactive, new Actor(id, ["admin"]), ct);
        await using var update = scope.Command("UPDATE hephaestus.users SET display_name = 'changed' WHERE id = $1");
        update.Parameters.Add(new NpgsqlParameter { Value = id });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var timedOut = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync(ct));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, timedOut.SqlState);
        Assert.True(DatabaseAvailability.IsUnavailable(timedOut));
        Assert.InRange(started.Elapsed.TotalSeconds, 1.5, 8);
    }

    [Theory]
    [InlineData("UPDATE hephaestus.learning_paths SET description = repeat('x', 5001) WHERE id = $1", "ck_learning_paths_description_length")]
    [InlineData("UPDATE hephaestus.users SET locale = repeat('x', 36) WHERE id = $1", "ck_users_locale_length")]
    public async Task Free_text_past_its_limit_is_refused_by_the_database_whoever_writes(string sql, string constraint)
    {
        var id = await db.CreateUserAsync($"long-{Guid.NewGuid():N}@limits.test", "admin");
        await db.ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, 'Path')", id, "p" + id.ToString("N")[..12]);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(sql, id));
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        Assert.Equal(constraint, refused.ConstraintName);
    }
}

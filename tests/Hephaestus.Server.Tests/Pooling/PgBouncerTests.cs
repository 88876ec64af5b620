using Hephaestus.Data;
using Hephaestus.Data.Events;
using Hephaestus.Domain.Events;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Pooling;

/// <summary>
/// What running behind PgBouncer in transaction mode needs of the data layer (Database:Pooler=transaction,
/// docs/operations.md "Behind PgBouncer"), checked against a real PgBouncer 1.18 that hands out server sessions round robin.
/// </summary>
public class PgBouncerTests(PgBouncerApiDatabase db) : IClassFixture<PgBouncerApiDatabase>
{
    static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task Without_the_pooler_setting_a_connection_through_PgBouncer_is_refused_for_its_startup_options()
    {
        await using var plain = HephaestusDatabase.CreateDataSource(db.AppConnectionString, DatabaseLimits.Interactive);
        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => { await using var _ = await plain.OpenConnectionAsync(); });
        Assert.Contains("options", refused.Message, StringComparison.OrdinalIgnoreCase);

        await using var pooled = HephaestusDatabase.CreateDataSource(db.AppConnectionString, DatabaseLimits.Interactive with { TransactionPooler = true });
        await using var connection = await pooled.OpenConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task Behind_the_pooler_no_statement_is_prepared_so_repeating_one_never_meets_a_session_without_it()
    {
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(db.App.ConnectionString).MaxAutoPrepare);
        // Several server sessions in the pool, so that consecutive transactions of one client land on different ones.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var c = await db.App.OpenConnectionAsync();
            await using var t = await c.BeginTransactionAsync();
            await using var sleep = new NpgsqlCommand("SELECT pg_sleep(0.05)", c, t);
            await sleep.ExecuteNonQueryAsync();
        }));

        await using var connection = await db.App.OpenConnectionAsync();
        var sessions = new HashSet<int>();
        for (var i = 0; i < 30; i++)
        {
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid() + $1 - $1", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i });
            sessions.Add((int)(await command.ExecuteScalarAsync())!);
        }

        Assert.True(sessions.Count > 1, "PgBouncer should have spread one client's statements over several server sessions");
    }

    [Fact]
    public async Task The_session_limits_hold_through_the_pooler_as_the_logins_settings()
    {
        await using var connection = await db.App.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), current_setting('idle_in_transaction_session_timeout')", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("10s", "2s", "1min"), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
    }

    [Fact]
    public async Task An_actor_set_in_one_transaction_is_gone_in_the_next_whichever_session_runs_it()
    {
        var learner = await db.CreateUserAsync($"a-{Guid.NewGuid():N}@pool.test", "learner");
        for (var i = 0; i < 6; i++)
        {
            await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(learner, ["learner"]), default))
            {
                await scope.CommitAsync(default);
            }

            await using var connection = await db.App.OpenConnectionAsync();
            await using var command = new NpgsqlCommand("SELECT coalesce(current_setting('hephaestus.user_id', true), '')", connection);
            Assert.Equal("", await command.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Event_maintenance_behind_the_pooler_holds_no_lock_after_its_run_and_skips_while_another_holds_it()
    {
        var retention = EventRetention.Default with { DaysAhead = 20 };
        var first = await EventPartitions.MaintainAsync(db.App, retention, DateTimeOffset.UtcNow, default, transactionScoped: true);
        var second = await EventPartitions.MaintainAsync(db.App, retention, DateTimeOffset.UtcNow, default, transactionScoped: true);

        Assert.False(first.Skipped);
        Assert.False(second.Skipped);
        Assert.Contains(Today.AddDays(20), await EventPartitions.ListAsync(db.App, default));
        Assert.Empty(second.Created);
        Assert.Equal(0L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.datname = current_database()"));

        // Another instance in the middle of its run (a session lock on the same key, taken directly): this run skips.
        await using var other = await db.Owner.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('hephaestus.learning_events.maintenance'))", other))
        {
            await take.ExecuteNonQueryAsync();
        }

        var busy = await EventPartitions.MaintainAsync(db.App, retention with { DaysAhead = 21 }, DateTimeOffset.UtcNow, default, transactionScoped: true);
        Assert.True(busy.Skipped);
        Assert.DoesNotContain(Today.AddDays(21), await EventPartitions.ListAsync(db.App, default));
        await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('hephaestus.learning_events.maintenance'))", other);
        await release.ExecuteNonQueryAsync();
    }
}

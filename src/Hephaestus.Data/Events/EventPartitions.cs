using Hephaestus.Domain.Events;
using Npgsql;

namespace Hephaestus.Data.Events;

/// <summary>What a maintenance run did; <c>Skipped</c> when another instance was running one.</summary>
public sealed record EventMaintenance(bool Skipped, IReadOnlyList<DateOnly> Created, IReadOnlyList<DateOnly> Dropped, IReadOnlyList<DateOnly> Deferred);

/// <summary>
/// Keeps learning_events' daily partitions: made ahead for every day an event may be dated, and dropped whole once
/// retention is past them. Through the SECURITY DEFINER doors of Sql/0023_events.sql, so the service's role (which may
/// run no DDL) and the owner at the command line run the same operation. Nothing here blocks ingestion: a partition is
/// attached (SHARE UPDATE EXCLUSIVE on the parent, which inserts do not wait for); a drop waits at most 200 ms for its
/// brief ACCESS EXCLUSIVE lock and is retried, or deferred to the next run, rather than queueing inserts behind it.
/// </summary>
public static class EventPartitions
{
    // Session-level, held for a run: a second instance skips its run instead of repeating this one.
    const string TryLock = "SELECT pg_try_advisory_lock(hashtext('hephaestus.learning_events.maintenance'))";
    const string Unlock = "SELECT pg_advisory_unlock(hashtext('hephaestus.learning_events.maintenance'))";

    // Behind a transaction pooler a session lock would stay with whichever server session took it (and the unlock go to
    // another): each step takes the same key for its own transaction instead, and runs only when it got it (null: busy).
    const string StepLock = "pg_try_advisory_xact_lock(hashtext('hephaestus.learning_events.maintenance'))";

    /// <summary>How often a drop whose lock was not granted at once is tried again within a run.</summary>
    public const int DropAttempts = 5;

    /// <param name="transactionScoped">
    /// Behind a transaction pooler (Database:Pooler=transaction): no session lock for the run; each step (one partition made
    /// or dropped, each idempotent) takes the lock for its own transaction, and the run stops as skipped at the first step
    /// another instance holds it for. The owner's CONCURRENTLY detach (which cannot run in a transaction) is left out: the
    /// drop door detaches and drops in one transaction. CLI verbs connect directly and keep the session lock.
    /// </param>
    public static async Task<EventMaintenance> MaintainAsync(NpgsqlDataSource db, EventRetention retention, DateTimeOffset now, CancellationToken ct,
        bool transactionScoped = false)
    {
        ArgumentNullException.ThrowIfNull(retention);
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!transactionScoped && !await ScalarAsync<bool>(connection, TryLock, null, ct)) return new EventMaintenance(true, [], [], []);
        try
        {
            var (first, last) = retention.DaysNeeded(now);
            var created = new List<DateOnly>();
            for (var day = first; day <= last; day = day.AddDays(1))
            {
                switch (await StepAsync(connection, "hephaestus.create_event_partition($1)", day, transactionScoped, ct))
                {
                    case null: return new EventMaintenance(true, created, [], []);
                    case true: created.Add(day); break;
                }
            }

            var dropped = new List<DateOnly>();
            var deferred = new List<DateOnly>();
            if (retention.FirstDayKept(now) is { } kept)
            {
                var owner = !transactionScoped && await ScalarAsync<bool>(connection, OwnsEvents, null, ct);
                foreach (var day in await DaysAsync(connection, ct))
                {
                    if (day >= kept) break;
                    if (owner) await DetachConcurrentlyAsync(connection, day, ct);
                    switch (await DropAsync(connection, day, transactionScoped, ct))
                    {
                        case null: return new EventMaintenance(true, created, dropped, deferred);
                        case true: dropped.Add(day); break;
                        case false: deferred.Add(day); break;
                    }
                }
            }

            return new EventMaintenance(false, created, dropped, deferred);
        }
        finally
        {
            if (!transactionScoped) await ScalarAsync<bool>(connection, Unlock, null, CancellationToken.None);
        }
    }

    /// <summary>One step of a run: under the run's session lock as it is, or under the step's own transaction lock (null when busy).</summary>
    static async Task<bool?> StepAsync(NpgsqlConnection connection, string call, DateOnly day, bool transactionScoped, CancellationToken ct)
    {
        var sql = transactionScoped ? $"SELECT CASE WHEN {StepLock} THEN {call} END" : "SELECT " + call;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        return await command.ExecuteScalarAsync(ct) is bool done ? done : null;
    }

    /// <summary>Makes the partitions of these days when missing (ingestion's fallback when maintenance is behind).</summary>
    public static async Task EnsureAsync(NpgsqlDataSource db, IEnumerable<DateOnly> days, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(days);
        await using var connection = await db.OpenConnectionAsync(ct);
        foreach (var day in days) await ScalarAsync<bool>(connection, "SELECT hephaestus.create_event_partition($1)", day, ct);
    }

    /// <summary>The UTC days that have a partition, oldest first.</summary>
    public static async Task<IReadOnlyList<DateOnly>> ListAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await DaysAsync(connection, ct);
    }

    static async Task<List<DateOnly>> DaysAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT day FROM hephaestus.event_partitions() WHERE day IS NOT NULL", connection);
        var days = new List<DateOnly>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) days.Add(reader.GetFieldValue<DateOnly>(0));
        return days;
    }

    const string OwnsEvents = """
        SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = 'hephaestus.learning_events'::regclass
        """;

    /// <summary>
    /// As the owner (the CLI verb), a partition is first detached CONCURRENTLY: SHARE UPDATE EXCLUSIVE only, waiting for
    /// the transactions that use it instead of locking everyone out; the drop that follows then touches only the detached
    /// table. A detach left pending by an interrupted run is finished.
    /// </summary>
    static async Task DetachConcurrentlyAsync(NpgsqlConnection connection, DateOnly day, CancellationToken ct)
    {
        var name = "learning_events_p" + day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await using var detach = new NpgsqlCommand($"ALTER TABLE hephaestus.learning_events DETACH PARTITION hephaestus.{name} CONCURRENTLY", connection);
            await detach.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            await using var finalize = new NpgsqlCommand($"ALTER TABLE hephaestus.learning_events DETACH PARTITION hephaestus.{name} FINALIZE", connection);
            await finalize.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Drops one day's partition; false when its lock was not granted within <see cref="DropAttempts"/> tries, null when
    /// another instance holds the maintenance lock (transaction-scoped runs only).
    /// </summary>
    static async Task<bool?> DropAsync(NpgsqlConnection connection, DateOnly day, bool transactionScoped, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StepAsync(connection, "hephaestus.drop_event_partition($1)", day, transactionScoped, ct) is null ? null : true;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < DropAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                return false;
            }
        }
    }

    static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, DateOnly? day, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (day is { } value) command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = value });
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}

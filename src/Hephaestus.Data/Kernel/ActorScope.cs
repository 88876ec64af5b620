using System.Data;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>
/// One connection and one transaction acting for one actor: the unit of work of a request.
/// Disposing without <see cref="CommitAsync"/> rolls back, so an exception never leaves a partial write.
/// </summary>
public sealed class ActorScope : IAsyncDisposable
{
    ActorScope(NpgsqlConnection connection, NpgsqlTransaction transaction, Actor actor)
    {
        Connection = connection;
        Transaction = transaction;
        Actor = actor;
    }

    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public Actor Actor { get; }

    public static Task<ActorScope> BeginAsync(NpgsqlDataSource dataSource, Actor actor, CancellationToken ct,
        IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        BeginAsync(dataSource, actor, learnerRecord: false, ct, isolation);

    /// <summary>
    /// A unit of work of an operation that owns learner state (Data/Learning's LearnerRecord, Data/Assessments'
    /// AttemptStore), marked so that the database lets it write that state (<see cref="ActorSession.MarkLearnerRecordSql"/>);
    /// the mark travels with the actor, so it costs no round trip.
    /// </summary>
    internal static Task<ActorScope> BeginLearnerRecordAsync(NpgsqlDataSource dataSource, Actor actor, CancellationToken ct,
        IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        BeginAsync(dataSource, actor, learnerRecord: true, ct, isolation);

    static async Task<ActorScope> BeginAsync(NpgsqlDataSource dataSource, Actor actor, bool learnerRecord, CancellationToken ct,
        IsolationLevel isolation)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = learnerRecord
                ? await ActorSession.BeginLearnerRecordAsync(connection, actor, ct, isolation)
                : await ActorSession.BeginAsync(connection, actor, ct, isolation);
            return new ActorScope(connection, transaction, actor);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A read-only unit of work of an analytics operation on a connection the caller opened (on the primary or on a
    /// replica, after probing it): marked so that the analyst's read policies of Sql/0027_analytics.sql apply
    /// (<see cref="ActorSession.BeginAnalyticsAsync"/>). The scope owns the connection from here on.
    /// </summary>
    internal static async Task<ActorScope> BeginAnalyticsAsync(NpgsqlConnection connection, Actor actor, CancellationToken ct)
    {
        try
        {
            return new ActorScope(connection, await ActorSession.BeginAnalyticsAsync(connection, actor, ct), actor);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    public NpgsqlBatch Batch() => new(Connection, Transaction);

    /// <summary>Runs the commands in one round trip, in order; nothing is sent when there are none.</summary>
    public async Task ExecuteAsync(IEnumerable<NpgsqlBatchCommand> commands, CancellationToken ct)
    {
        await using var batch = Batch();
        foreach (var command in commands) batch.BatchCommands.Add(command);
        if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
    }

    public Task CommitAsync(CancellationToken ct) => Transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>
/// SERIALIZABLE transactions (used only where a multi-row rule needs them) may fail with 40001 or 40P01 through no
/// fault of the request; the whole unit of work is then retried from the start.
/// </summary>
public static class TransientRetry
{
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct, int attempts = 8)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work(ct);
            }
            catch (PostgresException e) when (IsTransient(e) && attempt < attempts)
            {
                // Jittered backoff so that colliding requests do not collide again in lockstep.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), ct);
            }
        }
    }

    public static bool IsTransient(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;
}

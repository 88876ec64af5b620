using System.Data;
using Hephaestus.Domain.Identity;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>Who a transaction acts for. Row-level security reads it from two transaction-local settings.</summary>
public sealed record Actor(Guid UserId, IReadOnlyList<string> Roles)
{
    /// <summary>
    /// The operator at the command line: work done with no signed-in person, as an admin. Its id (the nil id) names no
    /// user, so what it writes names no one (an override's actor_id is NULL).
    /// </summary>
    public static readonly Actor Operator = new(Guid.Empty, [Role.Admin]);

    public bool Has(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>The user this actor is, for a column naming who did something; null for the operator.</summary>
    public Guid? PersonId => UserId == Guid.Empty ? null : UserId;

    /// <summary>The roles as a PostgreSQL text[] literal, e.g. {learner,educator}.</summary>
    internal string RolesLiteral => "{" + string.Join(',', Roles) + "}";
}

/// <summary>
/// Opens transactions on behalf of an actor: BEGIN and the two set_config(…, true) calls travel in one round trip
/// (Npgsql sends BEGIN with the first command), and both settings vanish at COMMIT or ROLLBACK, so a pooled
/// connection (or a PgBouncer in transaction mode) never carries one request's actor into the next.
/// </summary>
public static class ActorSession
{
    public const string SetActorSql =
        "SELECT set_config('hephaestus.user_id', $1, true), set_config('hephaestus.roles', $2, true)";

    /// <summary>
    /// The mark of a transaction run by an operation that owns learner state (LearnerRecord and its internals, AttemptStore):
    /// the restrictive policies of Sql/0009_defence_in_depth.sql let only such a transaction write a learner's results,
    /// evidence, mastery, attempts and progress, and read the answer keys of an attempt's items. A defence against a
    /// stray or injected statement in any other code path, not against someone who runs arbitrary SQL as the
    /// application role (they could set it, as they could set the actor). Transaction-local, like the actor; a SET
    /// returns no rows, so it can lead a batch whose results are read without shifting them.
    /// </summary>
    internal const string MarkLearnerRecordSql = "SET LOCAL hephaestus.operation = 'learner_record'";

    const string SetActorInLearnerRecordSql =
        "SELECT set_config('hephaestus.user_id', $1, true), set_config('hephaestus.roles', $2, true), " +
        "set_config('hephaestus.operation', 'learner_record', true)";

    /// <summary>
    /// The mark of an analytics operation (Data/Analytics): analysts read every learner's rows only inside it
    /// (Sql/0027_analytics.sql), and the transaction is read-only, so an analytics query on the primary (a fallback from
    /// the replica) can no more write than it could on the replica. Its work_mem is raised for the transaction: an analytics
    /// statement sorts and hashes a whole population (2 million mastery rows, 600,000 events at 100,000 learners), which
    /// spilled to disk in batches at the default 4 MB; analytics reads are few, so the memory is spent on few at a time.
    /// </summary>
    const string SetActorInAnalyticsSql =
        "SELECT set_config('hephaestus.user_id', $1, true), set_config('hephaestus.roles', $2, true), " +
        "set_config('hephaestus.operation', 'analytics', true), set_config('transaction_read_only', 'on', true), " +
        "set_config('work_mem', '64MB', true)";

    /// <summary>As <see cref="BeginAsync(NpgsqlConnection, Actor, CancellationToken, IsolationLevel)"/>, read-only and marked as analytics.</summary>
    internal static Task<NpgsqlTransaction> BeginAnalyticsAsync(NpgsqlConnection connection, Actor actor, CancellationToken ct) =>
        BeginAsync(connection, actor, SetActorInAnalyticsSql, ct, IsolationLevel.RepeatableRead);

    public static Task<NpgsqlTransaction> BeginAsync(
        NpgsqlConnection connection, Actor actor, CancellationToken ct, IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        BeginAsync(connection, actor, SetActorSql, ct, isolation);

    /// <summary>As <see cref="BeginAsync(NpgsqlConnection, Actor, CancellationToken, IsolationLevel)"/>, marked with <see cref="MarkLearnerRecordSql"/> in the same statement.</summary>
    internal static Task<NpgsqlTransaction> BeginLearnerRecordAsync(
        NpgsqlConnection connection, Actor actor, CancellationToken ct, IsolationLevel isolation = IsolationLevel.ReadCommitted) =>
        BeginAsync(connection, actor, SetActorInLearnerRecordSql, ct, isolation);

    /// <summary>The mark as a command, for an operation running in its caller's transaction to put in a batch it sends anyway.</summary>
    internal static NpgsqlBatchCommand MarkLearnerRecord() => new(MarkLearnerRecordSql);

    static async Task<NpgsqlTransaction> BeginAsync(
        NpgsqlConnection connection, Actor actor, string setActorSql, CancellationToken ct, IsolationLevel isolation)
    {
        var transaction = await connection.BeginTransactionAsync(isolation, ct);
        await using var command = new NpgsqlCommand(setActorSql, connection, transaction);
        AddActorParameters(command.Parameters, actor);
        await command.ExecuteNonQueryAsync(ct);
        return transaction;
    }

    /// <summary>
    /// The actor as the first command of a batch. A batch without an explicit transaction runs as one implicit
    /// transaction, so a read needs a single round trip.
    /// </summary>
    public static NpgsqlBatchCommand BatchCommand(Actor actor)
    {
        var command = new NpgsqlBatchCommand(SetActorSql);
        AddActorParameters(command.Parameters, actor);
        return command;
    }

    static void AddActorParameters(NpgsqlParameterCollection parameters, Actor actor)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = actor.UserId.ToString() });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = actor.RolesLiteral });
    }
}

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

    public static async Task<NpgsqlTransaction> BeginAsync(
        NpgsqlConnection connection, Actor actor, CancellationToken ct, IsolationLevel isolation = IsolationLevel.ReadCommitted)
    {
        var transaction = await connection.BeginTransactionAsync(isolation, ct);
        await using var command = new NpgsqlCommand(SetActorSql, connection, transaction);
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

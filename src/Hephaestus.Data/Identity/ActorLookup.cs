using Npgsql;

namespace Hephaestus.Data.Identity;

/// <summary>Maps a token subject to the user and their roles, through the one SECURITY DEFINER door that reads users without an actor.</summary>
public static class ActorLookup
{
    const string Sql = "SELECT user_id, roles FROM hephaestus.resolve_actor($1)";

    /// <summary>The actor whose external subject this is; null when no user has it.</summary>
    public static async Task<Actor?> FindAsync(NpgsqlDataSource db, string subject, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var command = db.CreateCommand(Sql);
        command.Parameters.Add(SqlParameters.Text(subject));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new Actor(reader.GetGuid(0), reader.GetFieldValue<string[]>(1)) : null;
    }
}

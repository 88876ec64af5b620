using Npgsql;

namespace Hephaestus.Data.Identity;

/// <summary>Users made by the service's own tooling (the token verb), as the schema owner, outside any actor.</summary>
public static class Provisioning
{
    // One statement, so two token commands for the same new user cannot both insert.
    const string Upsert = """
        INSERT INTO hephaestus.users AS u (id, external_subject, email, display_name, roles)
        VALUES ($1, $2, $2, split_part($2, '@', 1), coalesce($3, ARRAY['learner']))
        ON CONFLICT ((lower(email))) DO UPDATE SET roles = coalesce($3, u.roles)
        RETURNING external_subject
        """;

    /// <summary>
    /// The user with this email, created (subject = email, as a learner unless <paramref name="roles"/> says otherwise)
    /// when missing; given roles replace the user's. Returns the user's external subject, for the token.
    /// </summary>
    public static async Task<string> EnsureUserAsync(NpgsqlDataSource owner, string email, string[] roles, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(roles);
        await using var command = owner.CreateCommand(Upsert);
        command.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        command.Parameters.Add(SqlParameters.Text(email.ToLowerInvariant()));
        command.Parameters.Add(SqlParameters.TextArray(roles.Length > 0 ? roles : null));
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }
}

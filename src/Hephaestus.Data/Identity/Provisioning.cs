using Npgsql;

namespace Hephaestus.Data.Identity;

/// <summary>The account the token verb mints for: its id, subject and roles, and whether the verb just created it.</summary>
public sealed record ProvisionedUser(Guid Id, string ExternalSubject, string[] Roles, bool Created);

/// <summary>Users made by the service's own tooling (the token verb), as the schema owner, outside any actor.</summary>
public static class Provisioning
{
    // An existing account is never changed: a taken email (or subject) fails the insert with 23505 from user_identities
    // (Sql/0033_citus_ready.sql), so two token commands for the same new user cannot both insert; the loser reads the winner.
    const string Insert = """
        INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles)
        VALUES ($1, $2, $2, split_part($2, '@', 1), coalesce($3, ARRAY['learner']))
        RETURNING id, external_subject, roles
        """;

    // A statement of its own, so its snapshot sees a row that a concurrent insert committed while ours waited.
    const string ByEmail = "SELECT id, external_subject, roles FROM hephaestus.users WHERE lower(email) = lower($1)";

    /// <summary>
    /// Creates the user with this email (subject = email; <paramref name="roles"/>, or learner when none) when no account
    /// has it; otherwise returns the existing account untouched: its own subject and roles, never the ones asked for.
    /// </summary>
    public static async Task<ProvisionedUser> EnsureUserAsync(NpgsqlDataSource owner, string email, string[] roles, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(roles);
        var normalized = email.ToLowerInvariant();
        while (true)
        {
            await using (var insert = owner.CreateCommand(Insert))
            {
                insert.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
                insert.Parameters.Add(SqlParameters.Text(normalized));
                insert.Parameters.Add(SqlParameters.TextArray(roles.Length > 0 ? roles : null));
                try
                {
                    if (await ReadAsync(insert, created: true, ct) is { } created) return created;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    // taken: read the account that holds it
                }
            }

            await using var select = owner.CreateCommand(ByEmail);
            select.Parameters.Add(SqlParameters.Text(normalized));
            if (await ReadAsync(select, created: false, ct) is { } existing) return existing;
            // The account that held the email was erased between the two statements: try to create it again.
        }
    }

    /// <summary>The existing account with this email (any case), or null: for verbs that act only on accounts that exist.</summary>
    public static async Task<ProvisionedUser?> FindByEmailAsync(NpgsqlDataSource owner, string email, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var select = owner.CreateCommand(ByEmail);
        select.Parameters.Add(SqlParameters.Text(email));
        return await ReadAsync(select, created: false, ct);
    }

    static async Task<ProvisionedUser?> ReadAsync(NpgsqlCommand command, bool created, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new ProvisionedUser(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), created)
            : null;
    }
}

using Npgsql;

namespace Hephaestus.Data.Embedded;

/// <summary>
/// Creates, as the embedded cluster's superuser, what a DBA would create on a managed server: the schema owner
/// (used by migrations), the application login (a member of hephaestus_app that owns nothing) and the database.
/// Idempotent: run at every start.
/// </summary>
public static class EmbeddedProvisioner
{
    public const string DatabaseName = "hephaestus";
    public const string OwnerRole = "hephaestus_owner";
    public const string AppLogin = "hephaestus";
    public const string AppGroupRole = "hephaestus_app";

    public static async Task ProvisionAsync(EmbeddedPostgres cluster, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(cluster.ConnectionString() + ";Pooling=false"))
        {
            await connection.OpenAsync(ct);
            await ProvisionRolesAsync(connection, cluster.Secrets.OwnerPassword, cluster.Secrets.AppPassword, ct);
            await CreateDatabaseAsync(connection, DatabaseName, OwnerRole, ct);
        }

        await EnableStatementStatisticsAsync(cluster, ct);
    }

    /// <summary>
    /// pg_stat_statements in the service's database when the server preloads it (EmbeddedPostgres does, at initdb, when
    /// the module is installed): which statements take the time, for the operator and the benchmarks. The owner role may
    /// read every statement's text and figures (pg_read_all_stats), as a DBA would grant on a managed server.
    /// </summary>
    static async Task EnableStatementStatisticsAsync(EmbeddedPostgres cluster, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString(DatabaseName) + ";Pooling=false");
        await connection.OpenAsync(ct);
        await using (var preloaded = new NpgsqlCommand("SELECT 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))", connection))
        {
            if (await preloaded.ExecuteScalarAsync(ct) is not true) return;
        }

        await ExecuteAsync(connection, $"CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA public; GRANT pg_read_all_stats TO {OwnerRole};", ct);
    }

    /// <summary>Roles are cluster-wide: the tests provision them once and then create many databases.</summary>
    public static async Task ProvisionRolesAsync(NpgsqlConnection superuser, string ownerPassword, string appPassword, CancellationToken ct)
    {
        await ExecuteAsync(superuser, $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AppGroupRole}') THEN
                    CREATE ROLE {AppGroupRole} NOLOGIN;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OwnerRole}') THEN
                    CREATE ROLE {OwnerRole} LOGIN;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AppLogin}') THEN
                    CREATE ROLE {AppLogin} LOGIN IN ROLE {AppGroupRole};
                END IF;
            END
            $$;
            ALTER ROLE {OwnerRole} PASSWORD {Quote(ownerPassword)};
            ALTER ROLE {AppLogin} PASSWORD {Quote(appPassword)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            """, ct);
    }

    public static async Task CreateDatabaseAsync(NpgsqlConnection superuser, string database, string owner, CancellationToken ct, string? template = null)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", superuser)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = database } },
        };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            var templateClause = template is null ? "" : $" TEMPLATE \"{template}\"";
            await ExecuteAsync(superuser, $"CREATE DATABASE \"{database}\" OWNER {owner}{templateClause} ENCODING 'UTF8'", ct);
        }

        // Only the owner and the application role connect; no one makes temporary tables (PUBLIC may do both by default).
        // A database's privileges are not copied from its template, and an installation made before this rule gets it
        // at its next start: so this runs every time.
        await ExecuteAsync(superuser, $"""
            REVOKE CONNECT, TEMPORARY ON DATABASE "{database}" FROM PUBLIC;
            GRANT CONNECT ON DATABASE "{database}" TO {AppGroupRole};
            """, ct);
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    // Passwords are generated hex strings; quoting still doubles any quote so the helper is safe on its own.
    static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

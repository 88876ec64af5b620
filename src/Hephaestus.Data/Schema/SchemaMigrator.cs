using System.Data;
using System.Text;
using Npgsql;

namespace Hephaestus.Data;

public sealed record SchemaStatus(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending)
{
    public bool IsCurrent => Pending.Count == 0;
}

/// <summary>
/// Applies, reports and scripts <see cref="SchemaMigrations.All"/>. The history is the table EF Core created,
/// hephaestus.__ef_migrations_history (migration_id, product_version), kept in its shape and name: a database migrated
/// by EF Core carries on from its rows with no manual step.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>Everything Hephaestus owns lives in this schema, away from `public` (which Supabase, for one, exposes).</summary>
    public const string Schema = "hephaestus";

    public const string HistoryTable = "__ef_migrations_history";

    /// <summary>The product_version of the history rows this migrator writes (EF Core wrote its own version there).</summary>
    public const string ProductVersion = "hephaestus";

    const string History = Schema + "." + HistoryTable;

    // The schema and the history table as EF Core created them. The schema is looked for before it is created, so an
    // owner without CREATE on the database can migrate into a schema a DBA made for it.
    const string CreateHistory = $"""
        DO $migration$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{Schema}') THEN
                CREATE SCHEMA {Schema};
            END IF;
            IF to_regclass('{History}') IS NULL THEN
                CREATE TABLE {History} (
                    migration_id character varying(150) NOT NULL,
                    product_version character varying(32) NOT NULL,
                    CONSTRAINT pk___ef_migrations_history PRIMARY KEY (migration_id)
                );
            END IF;
        END
        $migration$;
        """;

    // Migrators are serialized by a transaction-level advisory lock (pg_advisory_xact_lock) taken first in each
    // migration's transaction, not by a session-level one (pg_advisory_lock): COMMIT or ROLLBACK releases it on every
    // path, whereas a session lock missed by an exception stays held by the pooled connection until it is reset, and
    // behind PgBouncer in transaction mode a session lock and its unlock may reach different server connections. Each
    // transaction re-reads the history after taking the lock, so a migrator that waited skips what the other applied.
    // The key hashes a name that no other advisory lock of the schema uses.
    const string Lock = "SELECT pg_advisory_xact_lock(hashtextextended('hephaestus.schema_migrations', 0))";

    // Dollar-quote tag of the script's DO blocks: no SQL file may contain it (Script checks).
    const string Tag = "$migration$";

    public static async Task<SchemaStatus> StatusAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var applied = await AppliedAsync(dataSource, ct);
        return new SchemaStatus(applied, SchemaMigrations.All.Select(m => m.Id).Except(applied, StringComparer.Ordinal).ToList());
    }

    /// <summary>Reads the history table directly so that the application role (which may not own it) can check versions.</summary>
    static async Task<List<string>> AppliedAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var applied = new List<string>();
        await using var command = dataSource.CreateCommand($"SELECT migration_id FROM {History} ORDER BY migration_id");
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // A fresh database: nothing applied yet.
        }

        return applied;
    }

    /// <summary>
    /// Applies the pending migrations in order, each in its own transaction with its history row, and returns the ids this
    /// call applied. Safe to run from several processes at once: an advisory lock serializes them.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource ownerDataSource, CancellationToken ct)
    {
        var status = await StatusAsync(ownerDataSource, ct);
        if (status.IsCurrent) return [];

        await using var connection = await ownerDataSource.OpenConnectionAsync(ct);
        await using (var transaction = await BeginLockedAsync(connection, ct))
        {
            await ExecuteAsync(connection, transaction, CreateHistory, ct);
            await transaction.CommitAsync(ct);
        }

        var applied = new List<string>();
        foreach (var migration in SchemaMigrations.All.Where(m => status.Pending.Contains(m.Id, StringComparer.Ordinal)))
        {
            await using var transaction = await BeginLockedAsync(connection, ct);
            if (await IsAppliedAsync(connection, transaction, migration.Id, ct)) continue; // another migrator did it; disposing rolls back
            foreach (var file in migration.Up) await ExecuteAsync(connection, transaction, SqlScripts.Load(file), ct);
            await using (var record = new NpgsqlCommand($"INSERT INTO {History} (migration_id, product_version) VALUES ($1, $2)", connection, transaction))
            {
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Id });
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ProductVersion });
                await record.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            applied.Add(migration.Id);
        }

        return applied;
    }

    /// <summary>
    /// Reverts, newest first, the applied migrations that come after <paramref name="target"/> (all of them when null),
    /// each in its own transaction with the removal of its history row; returns the ids this call reverted.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> RevertAsync(NpgsqlDataSource ownerDataSource, string? target, CancellationToken ct)
    {
        var keep = target is null ? 0 : SchemaMigrations.All.Select(m => m.Id).ToList().IndexOf(target) + 1;
        if (keep == 0 && target is not null) throw new ArgumentException($"Unknown migration '{target}'.", nameof(target));

        var applied = await AppliedAsync(ownerDataSource, ct);
        var reverted = new List<string>();
        await using var connection = await ownerDataSource.OpenConnectionAsync(ct);
        foreach (var migration in SchemaMigrations.All.Skip(keep).Reverse().Where(m => applied.Contains(m.Id, StringComparer.Ordinal)))
        {
            await using var transaction = await BeginLockedAsync(connection, ct);
            if (!await IsAppliedAsync(connection, transaction, migration.Id, ct)) continue;
            foreach (var file in migration.Down) await ExecuteAsync(connection, transaction, SqlScripts.Load(file), ct);
            await using (var forget = new NpgsqlCommand($"DELETE FROM {History} WHERE migration_id = $1", connection, transaction))
            {
                forget.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Id });
                await forget.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            reverted.Add(migration.Id);
        }

        return reverted;
    }

    /// <summary>
    /// An idempotent script of every migration: a DBA can review it and run it (psql -f) on any version of the schema.
    /// Each migration is one transaction that takes the migrators' lock; each of its files runs in a DO block guarded by
    /// the absence of its history row, and the row is written last.
    /// </summary>
    public static string Script()
    {
        var script = new StringBuilder();
        script.Append("-- Hephaestus schema: every migration, idempotent (what is recorded in ").Append(History).Append(" is skipped).\n");
        script.Append(CreateHistory).Append('\n');
        foreach (var migration in SchemaMigrations.All)
        {
            var pending = $"    IF NOT EXISTS (SELECT 1 FROM {History} WHERE migration_id = '{migration.Id}') THEN\n";
            script.Append("\n-- ").Append(migration.Id).Append("\nSTART TRANSACTION;\n").Append(Lock).Append(";\n");
            foreach (var file in migration.Up) AppendGuarded(script, pending, $"-- {file}\n{SqlScripts.Load(file)}");
            AppendGuarded(script, pending,
                $"INSERT INTO {History} (migration_id, product_version) VALUES ('{migration.Id}', '{ProductVersion}');\n");
            script.Append("COMMIT;\n");
        }

        return script.ToString();
    }

    static void AppendGuarded(StringBuilder script, string condition, string sql)
    {
        if (sql.Contains(Tag, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"A migration's SQL contains {Tag}, the dollar-quote tag of the script's DO blocks.");
        }

        script.Append("\nDO ").Append(Tag).Append("\nBEGIN\n").Append(condition).Append(sql);
        if (!sql.EndsWith('\n')) script.Append('\n');
        script.Append("    END IF;\nEND\n").Append(Tag).Append(";\n");
    }

    /// <summary>
    /// A READ COMMITTED transaction (whatever the database's default) holding the migrators' lock: every statement after
    /// the lock sees what a migrator that held it before committed.
    /// </summary>
    static async Task<NpgsqlTransaction> BeginLockedAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        try
        {
            await ExecuteAsync(connection, transaction, Lock, ct);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    static async Task<bool> IsAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {History} WHERE migration_id = $1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    // No command timeout: a migration takes as long as the data it changes, and waiting for another migrator's lock as
    // long as that migration; cancellation ends either.
    static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}

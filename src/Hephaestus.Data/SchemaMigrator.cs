using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Hephaestus.Data;

public sealed record SchemaStatus(IReadOnlyList<string> Applied, IReadOnlyList<string> Pending)
{
    public bool IsCurrent => Pending.Count == 0;
}

/// <summary>Applies, reports and scripts the EF Core migrations: the one ordered history of the schema.</summary>
public static class SchemaMigrator
{
    public static async Task<SchemaStatus> StatusAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var context = HephaestusDatabase.CreateContext(dataSource);
        var all = context.Database.GetMigrations().ToList();
        var applied = await AppliedAsync(dataSource, ct);
        return new SchemaStatus(applied, all.Except(applied, StringComparer.Ordinal).ToList());
    }

    /// <summary>Reads the history table directly so that the application role (which may not own it) can check versions.</summary>
    static async Task<List<string>> AppliedAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var applied = new List<string>();
        await using var command = dataSource.CreateCommand(
            $"SELECT migration_id FROM {HephaestusDbContext.Schema}.{HephaestusDatabase.MigrationsHistoryTable} ORDER BY migration_id");
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

    /// <summary>Applies pending migrations. EF Core takes a database lock, so two processes migrating at once is safe.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource ownerDataSource, CancellationToken ct)
    {
        var before = await StatusAsync(ownerDataSource, ct);
        await using var context = HephaestusDatabase.CreateContext(ownerDataSource);
        await context.Database.MigrateAsync(ct);
        return before.Pending;
    }

    /// <summary>An idempotent script of every migration: a DBA can review it and run it on any version of the schema.</summary>
    public static string Script(NpgsqlDataSource dataSource)
    {
        using var context = HephaestusDatabase.CreateContext(dataSource);
        return context.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
    }
}

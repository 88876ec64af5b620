using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>How every part of the process (service, CLI, tests) builds its one data source and its EF options.</summary>
public static class HephaestusDatabase
{
    public const string MigrationsHistoryTable = "__ef_migrations_history";

    public static NpgsqlDataSource CreateDataSource(string connectionString, Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "hephaestus";
        // Automatic preparation of the statements a process repeats: measured at +55% requests/s on the profile read
        // (docs/benchmarks.md). A connection string that names Max Auto Prepare keeps its own value (0 behind a
        // PgBouncer older than 1.21, which cannot carry prepared statements in transaction mode).
        if (!System.Text.RegularExpressions.Regex.IsMatch(connectionString, @"max\s*auto\s*prepare", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }
        configure?.Invoke(builder);
        return builder.Build();
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, NpgsqlOptions).UseSnakeCaseNamingConvention();

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlConnection connection) =>
        options.UseNpgsql(connection, NpgsqlOptions).UseSnakeCaseNamingConvention();

    public static HephaestusDbContext CreateContext(NpgsqlDataSource dataSource) =>
        new((DbContextOptions<HephaestusDbContext>)Configure(new DbContextOptionsBuilder<HephaestusDbContext>(), dataSource).Options);

    /// <summary>A context that works inside a transaction the caller opened (and set the actor on).</summary>
    public static async Task<HephaestusDbContext> CreateContextAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var context = new HephaestusDbContext(
            (DbContextOptions<HephaestusDbContext>)Configure(new DbContextOptionsBuilder<HephaestusDbContext>(), connection).Options);
        await context.Database.UseTransactionAsync(transaction, ct);
        return context;
    }

    static void NpgsqlOptions(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql) =>
        npgsql.MigrationsHistoryTable(MigrationsHistoryTable, HephaestusDbContext.Schema);
}

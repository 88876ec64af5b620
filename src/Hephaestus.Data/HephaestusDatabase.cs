using Npgsql;

namespace Hephaestus.Data;

/// <summary>How every part of the process (service, CLI, tests) builds its one data source.</summary>
public static class HephaestusDatabase
{
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

    /// <summary>
    /// True for a failure after which a pooled connection may be out of step with its server: a protocol-level error
    /// (an NpgsqlException that is not a PostgresException), or a data exception (class 22, e.g. a NUL in a text
    /// parameter) which, when it fails Bind on the execution that auto-prepares a statement, leaves Npgsql 10.0.3's
    /// prepared-statement bookkeeping wrong, so that the connection's next user reads "unexpected backend message
    /// DataRow" (docs/npgsql-autoprepare-bind-failure.md).
    /// </summary>
    public static bool PoisonsConnections(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal),
        NpgsqlException => true,
        _ => false,
    };

    /// <summary>
    /// After such a failure (the connection already back in the pool), the pool's idle connections are closed, so the
    /// next request opens a fresh one instead of inheriting the damage. Rare by design: the edge refuses the input.
    /// </summary>
    public static void AfterFailure(NpgsqlDataSource dataSource, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (PoisonsConnections(exception)) dataSource.Clear();
    }
}

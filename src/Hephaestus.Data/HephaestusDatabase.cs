using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>
/// What a data source's sessions may hold and for how long. The timeouts travel in the connection's startup packet
/// (<c>Options=-c …</c>), so they cost no round trip; a connection string's own <c>Options</c> come after and win.
/// </summary>
/// <param name="StatementTimeout">statement_timeout: no single statement runs longer (0: no limit).</param>
/// <param name="LockTimeout">lock_timeout: no wait for a row, table or advisory lock lasts longer (0: no limit).</param>
/// <param name="IdleInTransactionTimeout">idle_in_transaction_session_timeout: a transaction left open and idle ends, its locks with it.</param>
/// <param name="MaxPoolSize">Max Pool Size, unless the connection string names it; null keeps Npgsql's default.</param>
/// <param name="PoolWait">Timeout (the wait for a pooled connection, and to connect), unless the connection string names it.</param>
/// <param name="CommandTimeout">Npgsql's client-side Command Timeout, unless the connection string names it (0: none).</param>
public sealed record DatabaseLimits(
    TimeSpan StatementTimeout,
    TimeSpan LockTimeout,
    TimeSpan IdleInTransactionTimeout,
    int? MaxPoolSize,
    TimeSpan? PoolWait,
    TimeSpan? CommandTimeout)
{
    /// <summary>
    /// The API's requests (docs/operations.md, "Timeouts, the pool and load shedding"): a request waits at most 2 s for
    /// a lock and 10 s for a statement, then answers 503 with Retry-After; 40 pooled connections, 5 s to get one.
    /// </summary>
    public static DatabaseLimits Interactive { get; } = new(
        StatementTimeout: TimeSpan.FromSeconds(10),
        LockTimeout: TimeSpan.FromSeconds(2),
        IdleInTransactionTimeout: TimeSpan.FromSeconds(60),
        MaxPoolSize: 40,
        PoolWait: TimeSpan.FromSeconds(5),
        CommandTimeout: null)
    {
        ResetOnClose = false,
    };

    /// <summary>
    /// Migrations and CLI verbs (the schema owner): never cut off, whatever a DBA set as the database's or role's
    /// default, and no client-side command timeout either (a migration or a bulk verb may run for minutes).
    /// </summary>
    public static DatabaseLimits Maintenance { get; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, null, null, TimeSpan.Zero);

    /// <summary>
    /// The connections go through a pooler in transaction mode (PgBouncer's pool_mode = transaction; Database:Pooler =
    /// transaction): each transaction may run on another server session, so nothing may outlive a transaction. Auto-prepare
    /// is off (PgBouncer before 1.21 carries no protocol-level prepared statements), the startup packet carries no
    /// <c>options</c> (PgBouncer refuses them), so the limits must be the login's own settings (<see cref="RoleSettingsSql"/>),
    /// and no reset is sent when a connection returns to Npgsql's pool (the server session was never this client's).
    /// </summary>
    public bool TransactionPooler { get; init; }

    /// <summary>
    /// Whether Npgsql resets a session when its connection returns to the pool (Npgsql's default: seven statements,
    /// <c>SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); CLOSE ALL; DISCARD
    /// SEQUENCES; DISCARD TEMP</c>, run before the connection's next command). The API's sessions keep nothing between
    /// requests for a reset to clear: the actor and every other setting are transaction-local (set_config(…, true),
    /// SET LOCAL), the application login may not make temporary tables, and nothing it runs listens, holds a cursor or
    /// changes the session's role or settings; its one session-level advisory lock (event maintenance) is released in a
    /// <c>finally</c>. There the reset was a third of a profile read's database time (docs/benchmarks.md, "Where a
    /// request's time goes"), so <see cref="Interactive"/> skips it. Maintenance keeps it: the CLI verbs and migrations take
    /// session advisory locks and make temporary tables.
    /// </summary>
    public bool ResetOnClose { get; init; } = true;

    /// <summary>
    /// The limits as the login's defaults in one database, for a DBA to run once when the service connects through a
    /// transaction pooler (docs/operations.md): what the startup options would otherwise set on each connection.
    /// </summary>
    public string RoleSettingsSql(string role, string database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        var target = $"ALTER ROLE \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\" IN DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" SET";
        return string.Create(CultureInfo.InvariantCulture,
            $"{target} statement_timeout = {(long)StatementTimeout.TotalMilliseconds}; {target} lock_timeout = {(long)LockTimeout.TotalMilliseconds}; " +
            $"{target} idle_in_transaction_session_timeout = {(long)IdleInTransactionTimeout.TotalMilliseconds};");
    }

    /// <summary>The settings as startup options, e.g. <c>-c statement_timeout=10000 -c lock_timeout=2000 …</c> (milliseconds).</summary>
    public string StartupOptions => string.Create(CultureInfo.InvariantCulture,
        $"-c statement_timeout={(long)StatementTimeout.TotalMilliseconds} -c lock_timeout={(long)LockTimeout.TotalMilliseconds} " +
        $"-c idle_in_transaction_session_timeout={(long)IdleInTransactionTimeout.TotalMilliseconds}");
}

/// <summary>How every part of the process (service, CLI, tests) builds its one data source.</summary>
public static class HephaestusDatabase
{
    /// <summary>A data source for this kind of work (<see cref="DatabaseLimits.Interactive"/> or <see cref="DatabaseLimits.Maintenance"/>).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, DatabaseLimits limits, Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        settings.ApplicationName ??= "hephaestus";
        // Automatic preparation of the statements a process repeats: measured at +55% requests/s on the profile read
        // (docs/benchmarks.md). A connection string that names Max Auto Prepare keeps its own value (0 behind a
        // PgBouncer older than 1.21, which cannot carry prepared statements in transaction mode; TransactionPooler forces 0).
        var named = NamedKeys(connectionString);
        if (limits.TransactionPooler) settings.MaxAutoPrepare = 0;
        else if (!named.Contains("maxautoprepare")) settings.MaxAutoPrepare = 64;
        if (limits.MaxPoolSize is { } poolSize && !named.Overlaps(["maxpoolsize", "maximumpoolsize"])) settings.MaxPoolSize = poolSize;
        if (limits.PoolWait is { } wait && !named.Contains("timeout")) settings.Timeout = (int)Math.Ceiling(wait.TotalSeconds);
        if (limits.CommandTimeout is { } command && !named.Contains("commandtimeout")) settings.CommandTimeout = (int)Math.Ceiling(command.TotalSeconds);
        // Behind a transaction pooler the reset (DISCARD ALL or its parts) would run on whichever server session PgBouncer
        // picks next: a wasted round trip that resets nothing of ours.
        if (limits.TransactionPooler || (!limits.ResetOnClose && !named.Contains("noresetonclose"))) settings.NoResetOnClose = true;
        if (!limits.TransactionPooler)
        {
            settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? limits.StartupOptions : limits.StartupOptions + " " + settings.Options;
        }
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The keys a connection string sets, lower case without spaces ("Max Pool Size" → maxpoolsize).</summary>
    static HashSet<string> NamedKeys(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => string.Concat(k.Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// True for a failure after which a pooled connection may be out of step with its server: a protocol-level error
    /// (an NpgsqlException that is not a PostgresException), or a data exception (class 22, e.g. a NUL in a text
    /// parameter) which, when it fails Bind on the execution that auto-prepares a statement, leaves Npgsql 10.0.3's
    /// prepared-statement bookkeeping wrong, so that the connection's next user reads "unexpected backend message
    /// DataRow" (docs/npgsql-autoprepare-bind-failure.md). Not a timeout: waiting for a pooled connection touched none,
    /// and a command timeout either cancelled cleanly or Npgsql broke that one connection itself; clearing the pool on
    /// each would make an overloaded service reconnect everything exactly when it can least afford to.
    /// </summary>
    public static bool PoisonsConnections(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal),
        NpgsqlException { InnerException: TimeoutException } => false,
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

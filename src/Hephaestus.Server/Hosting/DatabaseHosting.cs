using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Npgsql;

namespace Hephaestus.Server.Hosting;

public static class DatabaseHosting
{
    /// <summary>
    /// The database layer: the endpoint (embedded or external), the one NpgsqlDataSource of the process, the schema check.
    /// The endpoint is opened by a hosted service that starts before the web server and stops after it, so the embedded
    /// PostgreSQL outlives every request and is shut down cleanly on Ctrl+C or SIGTERM.
    /// </summary>
    public static IHostApplicationBuilder AddHephaestusDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DatabaseLifetime>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseLifetime>());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<DatabaseLifetime>().Endpoint);
        builder.Services.AddSingleton(sp =>
        {
            var endpoint = sp.GetRequiredService<DatabaseEndpoint>();
            var dataSource = HephaestusDatabase.CreateDataSource(endpoint.AppConnectionString, InteractiveLimits(builder.Configuration));
            // Idle pooled connections to a restarted postmaster are dead: drop them rather than fail a request on each.
            if (endpoint.Supervisor is { } supervisor) supervisor.Restarted += dataSource.Clear;
            return dataSource;
        });
        builder.Services.AddSingleton<SchemaVersion>();
        // The one owner of learner state and its cache of published path plans: one of each per process.
        builder.Services.AddSingleton<PlanCache>();
        builder.Services.AddSingleton<LearnerRecord>();
        // The events' partitions: made ahead and dropped by retention, after the endpoint above has started.
        builder.Services.AddSingleton(EventOptions.From(builder.Configuration));
        builder.Services.AddHostedService<EventMaintenanceService>();
        return builder;
    }

    /// <summary>The API's session limits and pool (docs/operations.md): the defaults, each replaceable under Database:.</summary>
    public static DatabaseLimits InteractiveLimits(IConfiguration configuration)
    {
        var defaults = DatabaseLimits.Interactive;
        TimeSpan Seconds(string key, TimeSpan fallback) => TimeSpan.FromSeconds(configuration.GetValue(key, fallback.TotalSeconds));
        return defaults with
        {
            StatementTimeout = Seconds("Database:StatementTimeoutSeconds", defaults.StatementTimeout),
            LockTimeout = Seconds("Database:LockTimeoutSeconds", defaults.LockTimeout),
            IdleInTransactionTimeout = Seconds("Database:IdleInTransactionTimeoutSeconds", defaults.IdleInTransactionTimeout),
            MaxPoolSize = configuration.GetValue("Database:MaxPoolSize", defaults.MaxPoolSize),
            PoolWait = Seconds("Database:PoolWaitSeconds", defaults.PoolWait!.Value),
            TransactionPooler = BehindTransactionPooler(configuration),
        };
    }

    /// <summary>
    /// Database:Pooler: <c>none</c> (the default: the service talks to PostgreSQL, or to a session-mode pool) or
    /// <c>transaction</c> (PgBouncer or another pooler in transaction mode; docs/operations.md, "Behind PgBouncer").
    /// </summary>
    public static bool BehindTransactionPooler(IConfiguration configuration) => configuration["Database:Pooler"]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => false,
        "transaction" => true,
        var other => throw new InvalidOperationException($"Database:Pooler is '{other}'; it must be 'none' (the default) or 'transaction'."),
    };
}

/// <summary>Opens the database endpoint at start, brings or checks the schema, and closes the endpoint at stop.</summary>
public sealed class DatabaseLifetime(IConfiguration configuration, ILogger<DatabaseLifetime> logger) : IHostedService, IAsyncDisposable
{
    DatabaseEndpoint? _endpoint;

    public DatabaseEndpoint Endpoint =>
        _endpoint ?? throw new InvalidOperationException("The database endpoint is opened when the host starts.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _endpoint = await DatabaseEndpoint.OpenAsync(configuration, logger, cancellationToken);
        await using var owner = HephaestusDatabase.CreateDataSource(_endpoint.OwnerConnectionString, DatabaseLimits.Maintenance);
        var status = await SchemaMigrator.StatusAsync(owner, cancellationToken);
        if (status.IsCurrent) return;

        // Migrating at start is the embedded default's convenience; a shared server migrates by an explicit command.
        if (_endpoint.IsEmbedded || configuration.GetValue("Database:MigrateOnStart", false))
        {
            var applied = await SchemaMigrator.MigrateAsync(owner, cancellationToken);
            logger.LogInformation("Applied {Count} migrations: {Migrations}", applied.Count, string.Join(", ", applied));
            return;
        }

        throw new InvalidOperationException(
            $"The database schema is behind: {status.Pending.Count} pending migration(s) ({string.Join(", ", status.Pending)}). " +
            $"Run `{LaunchCommand.Current()} db migrate` with ConnectionStrings__HephaestusOwner set to the schema owner, or review " +
            $"`{LaunchCommand.Current()} db script`, or set Database__MigrateOnStart=true to let the service migrate.");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is not null) await _endpoint.DisposeAsync();
        _endpoint = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_endpoint is not null) await _endpoint.DisposeAsync();
    }
}

/// <summary>Readiness needs the schema to match the code; once current it stays current for this process.</summary>
public sealed class SchemaVersion(NpgsqlDataSource dataSource)
{
    volatile bool _current;

    public async Task<SchemaStatus?> CheckAsync(CancellationToken ct)
    {
        if (_current) return null;
        var status = await SchemaMigrator.StatusAsync(dataSource, ct);
        _current = status.IsCurrent;
        return status;
    }
}

using Hephaestus.Data;
using Hephaestus.Server.Hosting;
using Npgsql;

namespace Hephaestus.Server.Cli;

/// <summary>What a verb needs: the configuration, a logger and the database endpoint, closed when the verb ends.</summary>
internal sealed class CliDatabase : IAsyncDisposable
{
    CliDatabase(IConfiguration configuration, ILogger logger, DatabaseEndpoint endpoint)
    {
        Configuration = configuration;
        Logger = logger;
        Endpoint = endpoint;
        Owner = HephaestusDatabase.CreateDataSource(endpoint.OwnerConnectionString, DatabaseLimits.Maintenance);
    }

    public IConfiguration Configuration { get; }
    public ILogger Logger { get; }
    public DatabaseEndpoint Endpoint { get; }

    /// <summary>The schema owner's data source: migrations, seeding and the token verb act as the owner.</summary>
    public NpgsqlDataSource Owner { get; }

    public static async Task<CliDatabase> OpenAsync(CancellationToken ct)
    {
        var builder = HephaestusCli.HostBuilder();
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("hephaestus");
        var endpoint = await DatabaseEndpoint.OpenAsync(builder.Configuration, logger, ct);
        return new CliDatabase(builder.Configuration, logger, endpoint);
    }

    /// <summary>An embedded cluster started just for this verb is migrated like the service would; a shared server is not.</summary>
    public async Task EnsureEmbeddedSchemaAsync(CancellationToken ct)
    {
        if (Endpoint.IsEmbedded) await SchemaMigrator.MigrateAsync(Owner, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Owner.DisposeAsync();
        await Endpoint.DisposeAsync();
    }
}

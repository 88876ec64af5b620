using Hephaestus.Data.Embedded;
using Npgsql;

namespace Hephaestus.Server.Hosting;

/// <summary>
/// Where the database is: an external server named by ConnectionStrings:Hephaestus, or the embedded default.
/// </summary>
public sealed class DatabaseEndpoint : IAsyncDisposable
{
    DatabaseEndpoint(string appConnectionString, string ownerConnectionString, EmbeddedPostgres? cluster, bool attached)
    {
        AppConnectionString = appConnectionString;
        OwnerConnectionString = ownerConnectionString;
        Cluster = cluster;
        Attached = attached;
    }

    /// <summary>The service's runtime login: a member of hephaestus_app, owning nothing.</summary>
    public string AppConnectionString { get; }

    /// <summary>The schema owner, used by migrations, seeding and the token CLI.</summary>
    public string OwnerConnectionString { get; }

    public EmbeddedPostgres? Cluster { get; }
    public bool IsEmbedded => Cluster is not null || Attached;

    /// <summary>True when another Hephaestus process runs the embedded cluster and this one only connects to it.</summary>
    public bool Attached { get; }

    /// <summary>Watches and restarts the embedded postmaster; only when this process started it (not attached, not external).</summary>
    public EmbeddedSupervisor? Supervisor { get; private init; }

    public string? EmbeddedSigningKey { get; private init; }
    public string? EmbeddedDataDirectory { get; private init; }

    public static async Task<DatabaseEndpoint> OpenAsync(IConfiguration configuration, ILogger logger, CancellationToken ct)
    {
        var external = configuration.GetConnectionString("Hephaestus");
        var owner = configuration.GetConnectionString("HephaestusOwner");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new DatabaseEndpoint(external, string.IsNullOrWhiteSpace(owner) ? external : owner, cluster: null, attached: false);
        }

        if (!string.IsNullOrWhiteSpace(owner))
        {
            // Without this, `db migrate` with only the owner's connection string migrated an embedded database in the
            // working directory and said it succeeded, while the managed server stayed empty.
            throw new InvalidOperationException(
                "ConnectionStrings__HephaestusOwner is set but ConnectionStrings__Hephaestus is not, so the embedded database would be " +
                "used instead of that server. Set ConnectionStrings__Hephaestus (the service's login) too, or neither for the embedded database.");
        }

        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = configuration["Embedded:DataDirectory"] ?? Path.Combine(".hephaestus", "postgres"),
            BinDirectory = configuration["Embedded:BinDirectory"],
            Port = configuration.GetValue("Embedded:Port", 0),
        };

        var running = EmbeddedOwnership.FindLiveOwner(options.DataDirectory);
        if (running is not null)
        {
            // Another Hephaestus process (the service, say, while a CLI verb runs) owns the cluster: share it.
            logger.LogInformation("Using the embedded PostgreSQL of process {Pid} on port {Port}", running.Pid, running.Port);
            var secrets = EmbeddedSecrets.Read(Path.GetFullPath(options.DataDirectory));
            return Embedded(secrets, running.Port, cluster: null, attached: true, Path.GetFullPath(options.DataDirectory));
        }

        var started = await EmbeddedPostgres.StartAsync(options, logger, ct);
        try
        {
            EmbeddedOwnership.Claim(started.DataDirectory, started.Port);
            await EmbeddedProvisioner.ProvisionAsync(started, ct);
            var supervision = new EmbeddedSupervisorOptions
            {
                LivenessFailsAfter = TimeSpan.FromSeconds(configuration.GetValue("Embedded:LivenessFailsAfterSeconds", 120)),
                MaxBackoff = TimeSpan.FromSeconds(configuration.GetValue("Embedded:RestartMaxBackoffSeconds", 30)),
            };
            return Embedded(started.Secrets, started.Port, started, attached: false, started.DataDirectory,
                new EmbeddedSupervisor(started, supervision, logger));
        }
        catch
        {
            await started.StopAsync(CancellationToken.None);
            throw;
        }
    }

    static DatabaseEndpoint Embedded(
        EmbeddedSecrets secrets, int port, EmbeddedPostgres? cluster, bool attached, string dataDirectory, EmbeddedSupervisor? supervisor = null)
    {
        string For(string user, string password) => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Database = EmbeddedProvisioner.DatabaseName,
            Username = user,
            Password = password,
        }.ConnectionString;

        return new DatabaseEndpoint(
            For(EmbeddedProvisioner.AppLogin, secrets.AppPassword),
            For(EmbeddedProvisioner.OwnerRole, secrets.OwnerPassword),
            cluster,
            attached)
        {
            EmbeddedSigningKey = secrets.SigningKey,
            EmbeddedDataDirectory = dataDirectory,
            Supervisor = supervisor,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Supervisor is not null) await Supervisor.DisposeAsync();
        if (Cluster is not null)
        {
            EmbeddedOwnership.Release(Cluster.DataDirectory);
            await Cluster.StopAsync();
        }
    }
}

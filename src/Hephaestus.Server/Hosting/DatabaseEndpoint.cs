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

    /// <summary>The service's login on the embedded streaming replica (Embedded:Replica=true), for analytics; null without one.</summary>
    public string? ReplicaConnectionString { get; private set; }

    /// <summary>The embedded replica this process started beside its primary, and its supervisor.</summary>
    public EmbeddedPostgres? Replica { get; private set; }

    public EmbeddedSupervisor? ReplicaSupervisor { get; private set; }

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
            var replica = await StartReplicaAsync(configuration, started, logger, ct);
            var endpoint = Embedded(started.Secrets, started.Port, started, attached: false, started.DataDirectory,
                new EmbeddedSupervisor(started, supervision, logger));
            if (replica is not null)
            {
                endpoint.Replica = replica;
                endpoint.ReplicaConnectionString = AppLoginConnectionString(started.Secrets, replica.Port);
                endpoint.ReplicaSupervisor = new EmbeddedSupervisor(replica, supervision, logger);
            }

            return endpoint;
        }
        catch
        {
            await started.StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// With Embedded:Replica=true, a streaming replica beside the primary (<see cref="EmbeddedReplica"/>) for analytics
    /// reads; without it, a slot an earlier run left is dropped, so the primary does not keep WAL for a replica gone.
    /// </summary>
    static async Task<EmbeddedPostgres?> StartReplicaAsync(IConfiguration configuration, EmbeddedPostgres primary, ILogger logger, CancellationToken ct)
    {
        if (!configuration.GetValue("Embedded:Replica", false))
        {
            await EmbeddedReplica.DropUnusedSlotAsync(primary, EmbeddedReplica.DefaultSlot, ct);
            return null;
        }

        var directory = configuration["Embedded:ReplicaDataDirectory"] ?? EmbeddedReplica.DirectoryBeside(primary.DataDirectory);
        return await EmbeddedReplica.StartAsync(primary, directory, EmbeddedReplica.DefaultSlot, logger, ct, configuration.GetValue("Embedded:ReplicaPort", 0));
    }

    static string AppLoginConnectionString(EmbeddedSecrets secrets, int port) => ConnectionString(EmbeddedProvisioner.AppLogin, secrets.AppPassword, port);

    static string ConnectionString(string user, string password, int port) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Database = EmbeddedProvisioner.DatabaseName,
        Username = user,
        Password = password,
    }.ConnectionString;

    static DatabaseEndpoint Embedded(
        EmbeddedSecrets secrets, int port, EmbeddedPostgres? cluster, bool attached, string dataDirectory, EmbeddedSupervisor? supervisor = null)
    {
        return new DatabaseEndpoint(
            AppLoginConnectionString(secrets, port),
            ConnectionString(EmbeddedProvisioner.OwnerRole, secrets.OwnerPassword, port),
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
        // The replica first: stopped after its primary, it would retry the connection until its own stop.
        if (ReplicaSupervisor is not null) await ReplicaSupervisor.DisposeAsync();
        if (Replica is not null) await Replica.StopAsync();
        if (Supervisor is not null) await Supervisor.DisposeAsync();
        if (Cluster is not null)
        {
            EmbeddedOwnership.Release(Cluster.DataDirectory);
            await Cluster.StopAsync();
        }
    }
}

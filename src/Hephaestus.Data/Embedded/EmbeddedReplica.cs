using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hephaestus.Data.Embedded;

/// <summary>
/// A streaming replica of an embedded cluster on 127.0.0.1 (Embedded:Replica=true; the tests' replica fixture), for
/// analytics reads. On the primary, as its superuser: a replication role (its password derived from the cluster's
/// secrets, so nothing new is stored), a physical replication slot (the primary keeps the WAL the replica has not
/// received, up to max_slot_wal_keep_size), and a pg_hba line for the role on 127.0.0.1. The replica's data directory
/// is made once with pg_basebackup -R (standby.signal) and started like any embedded cluster (same runner, same OS
/// user when root, its own port), so the supervisor restarts it the same way. The primary's port can change at every
/// start (Embedded:Port 0), so the connection to it is written again before each start of the replica.
/// </summary>
public static class EmbeddedReplica
{
    public const string ReplicationRole = "hephaestus_replicator";
    public const string DefaultSlot = "hephaestus_replica";

    /// <summary>WAL the primary keeps for a replica that is away; past it the slot is given up (and the replica must be made again).</summary>
    const string MaxSlotWalKeepSize = "2GB";

    /// <summary>The replica's data directory beside the primary's: <c>postgres</c> → <c>postgres-replica</c>.</summary>
    public static string DirectoryBeside(string primaryDataDirectory) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(primaryDataDirectory)) + "-replica";

    /// <summary>Prepares the primary, makes the replica's data directory when it has none, and starts it.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(
        EmbeddedPostgres primary, string dataDirectory, string slot, ILogger logger, CancellationToken ct, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(primary);
        dataDirectory = Path.GetFullPath(dataDirectory);
        var password = ReplicationPassword(primary.Secrets);
        await PreparePrimaryAsync(primary, password, slot, ct);
        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION"))) await BaseBackupAsync(primary, dataDirectory, password, slot, logger, ct);
        await PointAtPrimaryAsync(dataDirectory, primary.Port, password, slot, ct);
        return await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = dataDirectory,
            BinDirectory = primary.BinDirectory,
            Port = port,
            RootRunsAs = primary.RootRunsAs,
        }, logger, ct);
    }

    /// <summary>Drops the slot when no replica uses it (Embedded:Replica turned off): a slot left behind holds WAL on the primary.</summary>
    public static async Task DropUnusedSlotAsync(EmbeddedPostgres primary, string slot, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(primary);
        await using var connection = new NpgsqlConnection(primary.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(ct);
        await using var drop = new NpgsqlCommand(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = slot } },
        };
        await drop.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A password only this installation can compute (from its superuser password), the same at every start.</summary>
    static string ReplicationPassword(EmbeddedSecrets secrets) =>
        Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secrets.SuperuserPassword), "hephaestus replication"u8)).ToLowerInvariant();

    static async Task PreparePrimaryAsync(EmbeddedPostgres primary, string password, string slot, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(primary.ConnectionString() + ";Pooling=false");
        await connection.OpenAsync(ct);
        await ExecuteAsync(connection, $"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ReplicationRole}') THEN
                    CREATE ROLE {ReplicationRole} LOGIN REPLICATION;
                END IF;
            END
            $$;
            ALTER ROLE {ReplicationRole} LOGIN REPLICATION PASSWORD '{password}';
            """, ct);
        await using (var create = new NpgsqlCommand(
            "SELECT pg_create_physical_replication_slot($1) WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1)", connection))
        {
            create.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slot });
            await create.ExecuteNonQueryAsync(ct);
        }

        // ALTER SYSTEM runs alone (never in a transaction block); a reload applies it and the pg_hba line below.
        await ExecuteAsync(connection, $"ALTER SYSTEM SET max_slot_wal_keep_size = '{MaxSlotWalKeepSize}'", ct);
        var hba = Path.Combine(primary.DataDirectory, "pg_hba.conf");
        var line = $"host replication {ReplicationRole} 127.0.0.1/32 scram-sha-256";
        if (!File.ReadLines(hba).Any(l => l.Trim() == line))
        {
            await File.AppendAllTextAsync(hba, $"\n# Written by Hephaestus: its embedded streaming replica.\n{line}\n", ct);
        }

        await ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
    }

    static async Task BaseBackupAsync(EmbeddedPostgres primary, string dataDirectory, string password, string slot, ILogger logger, CancellationToken ct)
    {
        logger.LogInformation("Making a streaming replica of the embedded PostgreSQL in {DataDirectory}", dataDirectory);
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new InvalidOperationException($"{dataDirectory} is not empty and holds no PostgreSQL cluster (no PG_VERSION). Move it away.");
        }

        Directory.CreateDirectory(dataDirectory);
        var runner = primary.Runner(PostgresBinaries.FolderOf("pg_basebackup", primary.BinDirectory));
        runner.HandOver(dataDirectory);
        var result = await runner.RunAsync("pg_basebackup",
        [
            "-D", dataDirectory, "-h", "127.0.0.1", "-p", primary.Port.ToString(CultureInfo.InvariantCulture), "-U", ReplicationRole,
            "-X", "stream", "-S", slot, "-R", "--checkpoint=fast", "-w",
        ], ct, new Dictionary<string, string> { ["PGPASSWORD"] = password });
        if (result.ExitCode != 0)
        {
            Directory.Delete(dataDirectory, recursive: true);
            throw new InvalidOperationException($"pg_basebackup failed (exit {result.ExitCode}): {result.Output}");
        }

        // The primary's ownership record came along with the files: this directory is the replica's, owned by no one yet.
        File.Delete(Path.Combine(dataDirectory, EmbeddedOwnership.FileName));
    }

    /// <summary>
    /// Writes the replica's connection to the primary (its current port) and its slot into postgresql.auto.conf, replacing
    /// what pg_basebackup -R or an earlier start wrote, so a primary that came back on another port is found.
    /// </summary>
    static async Task PointAtPrimaryAsync(string dataDirectory, int primaryPort, string password, string slot, CancellationToken ct)
    {
        var path = Path.Combine(dataDirectory, "postgresql.auto.conf");
        var kept = (await File.ReadAllLinesAsync(path, ct))
            .Where(l => !l.TrimStart().StartsWith("primary_conninfo", StringComparison.Ordinal)
                && !l.TrimStart().StartsWith("primary_slot_name", StringComparison.Ordinal));
        var conninfo = string.Create(CultureInfo.InvariantCulture,
            $"host=127.0.0.1 port={primaryPort} user={ReplicationRole} password={password} application_name={slot}");
        // Overwriting in place keeps the file's owner (the server's OS user when this process is root) and its mode.
        await File.WriteAllLinesAsync(path, [.. kept, $"primary_conninfo = '{conninfo}'", $"primary_slot_name = '{slot}'"], ct);
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}

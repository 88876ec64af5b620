using Npgsql;

namespace Hephaestus.Data.Health;

/// <summary>What readiness learns from the database in one round trip.</summary>
public enum DatabaseWritability
{
    Writable,

    /// <summary>The server is a standby or still replaying WAL (pg_is_in_recovery): every write fails.</summary>
    InRecovery,

    /// <summary>New transactions are read-only (default_transaction_read_only): every write fails.</summary>
    ReadOnly,
}

/// <summary>What readiness asks the database.</summary>
public static class HealthStore
{
    /// <summary>
    /// Whether the server would accept a write, without writing: a service that can only read is not ready.
    /// Two settings read in one statement: no superuser, no temp table (which bloats the catalog), no transaction id
    /// consumed. They catch a failover that left us on a standby and a server switched to read-only, which is how managed
    /// platforms (Azure, Neon, Supabase, …) and operators answer a nearly full disk. A really full disk needs no probe:
    /// a write that cannot extend a file fails with SQLSTATE 53100 (a 503 to the client), and one that cannot write WAL
    /// makes the server PANIC and restart (which the embedded supervisor and readiness see). A rolled-back write probe
    /// would not see it either: it dirties shared buffers only, and nothing is flushed.
    /// Throws (NpgsqlException, TimeoutException) when the database does not answer.
    /// </summary>
    public static async Task<DatabaseWritability> CheckAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var command = db.CreateCommand("SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (reader.GetBoolean(0)) return DatabaseWritability.InRecovery;
        return reader.GetBoolean(1) ? DatabaseWritability.ReadOnly : DatabaseWritability.Writable;
    }
}

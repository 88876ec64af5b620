using Npgsql;

namespace Hephaestus.Data.Health;

/// <summary>What readiness asks the database.</summary>
public static class HealthStore
{
    /// <summary>A round trip on a pooled connection; throws (NpgsqlException, TimeoutException) when the database does not answer.</summary>
    public static async Task PingAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var command = db.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(ct);
    }
}

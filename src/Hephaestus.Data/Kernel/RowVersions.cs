namespace Hephaestus.Data;

/// <summary>A table whose rows are resources updated in place, so each row's version (xmin) is the resource's ETag.</summary>
public sealed class VersionedTable
{
    VersionedTable(string name) => Name = name;

    internal string Name { get; }

    public static readonly VersionedTable Skills = new("hephaestus.skills");
    public static readonly VersionedTable Frameworks = new("hephaestus.competency_frameworks");
    public static readonly VersionedTable MasteryScales = new("hephaestus.mastery_scales");

    /// <summary>A path version: a draft's steps are edited as a whole, so the version row carries their ETag (<see cref="RowVersions.TouchAsync"/>).</summary>
    public static readonly VersionedTable PathVersions = new("hephaestus.path_versions");
}

/// <summary>
/// Optimistic concurrency for the catalog, as users and cohorts have it: PostgreSQL's xmin of the row changes with every
/// update and costs nothing to keep. An update locks the row (<see cref="LockAsync"/>: FOR UPDATE waits for a concurrent
/// writer and then reads the version it left), compares the version with the client's If-Match, writes and commits
/// under that lock, so of two updates sent with the same ETag exactly one applies.
/// </summary>
public static class RowVersions
{
    /// <summary>The row's version; null when there is no such row (or the actor cannot see it).</summary>
    /// <remarks>Read it before the representation, in the same transaction: a change between the two then makes the ETag older than the body, which a later If-Match refuses (never the other way round).</remarks>
    public static Task<uint?> ReadAsync(ActorScope scope, VersionedTable table, Guid id, CancellationToken ct) =>
        ScalarAsync(scope, $"SELECT xmin FROM {table.Name} WHERE id = $1", id, ct);

    /// <summary>Locks the row for an update and returns its current version; null when there is no such row.</summary>
    public static Task<uint?> LockAsync(ActorScope scope, VersionedTable table, Guid id, CancellationToken ct) =>
        ScalarAsync(scope, $"SELECT xmin FROM {table.Name} WHERE id = $1 FOR UPDATE", id, ct);

    /// <summary>
    /// A new version of a row whose resource changed in the rows it owns (a draft's steps live in path_steps): an update
    /// that changes no value still writes a new row version, so the ETag moves with what the resource shows.
    /// </summary>
    public static async Task TouchAsync(ActorScope scope, VersionedTable table, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(table);
        await using var command = scope.Command($"UPDATE {table.Name} SET id = id WHERE id = $1");
        command.Parameters.Add(SqlParameters.Uuid(id));
        await command.ExecuteNonQueryAsync(ct);
    }

    static async Task<uint?> ScalarAsync(ActorScope scope, string sql, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(sql);
        await using var command = scope.Command(sql);
        command.Parameters.Add(SqlParameters.Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? reader.GetFieldValue<uint>(0) : null;
    }
}

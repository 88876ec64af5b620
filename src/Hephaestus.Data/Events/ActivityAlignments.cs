using System.Collections.Frozen;
using Npgsql;

namespace Hephaestus.Data.Events;

/// <summary>An activity aligned to a skill (with a weight) or to an item (whose current version's skills apply).</summary>
public sealed record ActivityAlignment(Guid Id, string ActivityId, Guid? SkillId, Guid? ItemId, decimal Weight, DateTimeOffset CreatedAt);

/// <summary>One skill an activity's score is evidence of: the weight, and the item version when it came through an item.</summary>
public sealed record AlignedSkill(Guid SkillId, double Weight, Guid? ItemVersionId);

public enum AlignmentOutcome
{
    Created,
    /// <summary>The activity is already aligned to that skill or item.</summary>
    Duplicate,
    /// <summary>The skill or item does not exist.</summary>
    UnknownTarget,
    NotFound,
    Deleted,
}

/// <summary>
/// The alignments of activities to skills and items (authors and admins write them; row-level security holds that), and
/// their cache: every stored event with a score is matched against it in memory, so ingestion sends nothing to the
/// database for events nothing aligns. The cache reloads when this process changed an alignment and at the latest
/// after <see cref="Refresh"/> (another instance's change). One instance per process.
/// </summary>
public sealed class ActivityAlignments(TimeSpan refresh)
{
    const string Columns = "id, activity_id, skill_id, item_id, weight, created_at";

    // An item's alignment stands for its current version's skills with their weights (a new version changes them;
    // the cache follows within Refresh).
    const string LoadAll = """
        SELECT a.activity_id, a.skill_id, a.weight, NULL::uuid FROM hephaestus.event_activity_alignments a WHERE a.skill_id IS NOT NULL
        UNION ALL
        SELECT a.activity_id, s.skill_id, s.weight, v.id
        FROM hephaestus.event_activity_alignments a
        JOIN hephaestus.items i ON i.id = a.item_id
        JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = i.current_version
        JOIN hephaestus.item_version_skills s ON s.item_version_id = v.id
        """;

    sealed record Snapshot(FrozenDictionary<string, AlignedSkill[]> ByActivity, DateTimeOffset LoadedAt);

    Snapshot? _snapshot;

    public TimeSpan Refresh => refresh;

    /// <summary>Forget the cache: the next match reloads it.</summary>
    public void Invalidate() => Volatile.Write(ref _snapshot, null);

    /// <summary>The skills an activity's score is evidence of, as of the cache (loaded in the caller's transaction when stale).</summary>
    public async ValueTask<Func<string, IReadOnlyList<AlignedSkill>>> MatcherAsync(ActorScope scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is null || DateTimeOffset.UtcNow - snapshot.LoadedAt > refresh)
        {
            snapshot = await LoadAsync(scope, ct);
            Volatile.Write(ref _snapshot, snapshot);
        }

        return activity => snapshot.ByActivity.TryGetValue(activity, out var skills) ? skills : [];
    }

    static async Task<Snapshot> LoadAsync(ActorScope scope, CancellationToken ct)
    {
        var loadedAt = DateTimeOffset.UtcNow;
        var byActivity = new Dictionary<string, List<AlignedSkill>>(StringComparer.Ordinal);
        await using var command = scope.Command(LoadAll);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var activity = reader.GetString(0);
            if (!byActivity.TryGetValue(activity, out var skills)) byActivity[activity] = skills = [];
            skills.Add(new AlignedSkill(reader.GetGuid(1), (double)reader.GetDecimal(2), reader.IsDBNull(3) ? null : reader.GetGuid(3)));
        }

        return new Snapshot(byActivity.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal), loadedAt);
    }

    /// <summary>Aligns an activity to a skill or an item (exactly one of them).</summary>
    public async Task<(AlignmentOutcome Outcome, ActivityAlignment? Alignment)> CreateAsync(NpgsqlDataSource db, Actor actor, string activityId,
        Guid? skillId, Guid? itemId, decimal weight, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var insert = scope.Command($"""
            INSERT INTO hephaestus.event_activity_alignments (id, activity_id, skill_id, item_id, weight)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """);
        insert.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        insert.Parameters.Add(SqlParameters.Text(activityId));
        insert.Parameters.Add(SqlParameters.NullableUuid(skillId));
        insert.Parameters.Add(SqlParameters.NullableUuid(itemId));
        insert.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = weight });
        ActivityAlignment? created;
        try
        {
            await using var reader = await insert.ExecuteReaderAsync(ct);
            created = await reader.ReadAsync(ct) ? Read(reader) : null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return (AlignmentOutcome.UnknownTarget, null);
        }

        if (created is null) return (AlignmentOutcome.Duplicate, null);
        await scope.CommitAsync(ct);
        Invalidate();
        return (AlignmentOutcome.Created, created);
    }

    /// <summary>One alignment; null when there is none with that id.</summary>
    public static async Task<ActivityAlignment?> FindAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var find = scope.Command($"SELECT {Columns} FROM hephaestus.event_activity_alignments WHERE id = $1");
        find.Parameters.Add(SqlParameters.Uuid(id));
        await using var reader = await find.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Alignments in creation order, a keyset page, optionally of one activity, skill or item.</summary>
    public static async Task<Page<ActivityAlignment>> ListAsync(NpgsqlDataSource db, Actor actor, string? activityId, Guid? skillId, Guid? itemId,
        Guid? after, int limit, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var list = scope.Command($"""
            SELECT {Columns} FROM hephaestus.event_activity_alignments
            WHERE ($1::text IS NULL OR activity_id = $1) AND ($2::uuid IS NULL OR skill_id = $2) AND ($3::uuid IS NULL OR item_id = $3)
              AND ($4::uuid IS NULL OR id > $4)
            ORDER BY id LIMIT $5
            """);
        list.Parameters.Add(SqlParameters.Text(activityId));
        list.Parameters.Add(SqlParameters.NullableUuid(skillId));
        list.Parameters.Add(SqlParameters.NullableUuid(itemId));
        list.Parameters.Add(SqlParameters.NullableUuid(after));
        list.Parameters.Add(SqlParameters.Int(Paging.Fetch(limit)));
        var rows = new List<ActivityAlignment>();
        await using var reader = await list.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return Paging.TrimById(rows, limit, a => a.Id);
    }

    /// <summary>Removes an alignment; evidence already recorded under it stays.</summary>
    public async Task<AlignmentOutcome> DeleteAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var delete = scope.Command("DELETE FROM hephaestus.event_activity_alignments WHERE id = $1");
        delete.Parameters.Add(SqlParameters.Uuid(id));
        var deleted = await delete.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        if (!deleted) return AlignmentOutcome.NotFound;
        Invalidate();
        return AlignmentOutcome.Deleted;
    }

    static ActivityAlignment Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetGuid(2),
        r.IsDBNull(3) ? null : r.GetGuid(3), r.GetDecimal(4), r.GetFieldValue<DateTimeOffset>(5));
}

using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>
/// Mastery scales: ordered levels with thresholds, exactly one of them "mastery". A scale in use (recorded mastery or
/// evidence refers to it) keeps its levels; a new version is made instead. The database enforces both rules too.
/// </summary>
public static class ScaleStore
{
    public static Task<bool> ExistsAsync(ActorScope scope, Guid scaleId, CancellationToken ct) =>
        CatalogRows.ExistsAsync(scope, "SELECT 1 FROM hephaestus.mastery_scales WHERE id = $1", scaleId, ct);

    /// <summary>Inserts version <paramref name="version"/> of a family with its levels.</summary>
    public static async Task CreateAsync(ActorScope scope, Guid id, Guid familyId, int version, string name, IReadOnlyList<MasteryLevelDefinition> levels,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using (var insert = scope.Command("INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES ($1, $2, $3, $4)"))
        {
            insert.Parameters.Add(Uuid(id));
            insert.Parameters.Add(Uuid(familyId));
            insert.Parameters.Add(Int(version));
            insert.Parameters.Add(Text(name));
            await insert.ExecuteNonQueryAsync(ct);
        }

        await InsertLevelsAsync(scope, id, levels, ct);
    }

    /// <summary>
    /// Replaces the name and levels. Levels of a scale in use are
    /// frozen (a name-only change is fine): the row lock makes two replacements of one scale take turns, and the
    /// trigger mastery_levels_frozen_in_use refuses what slips past.
    /// </summary>
    public static async Task<ScaleReplacement> ReplaceAsync(ActorScope scope, Guid scaleId, string name, IReadOnlyList<MasteryLevelDefinition> levels,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(levels);
        if (!await CatalogRows.ExistsAsync(scope, "SELECT 1 FROM hephaestus.mastery_scales WHERE id = $1 FOR UPDATE", scaleId, ct))
        {
            return ScaleReplacement.NotFound;
        }

        var current = (await ReadAsync(scope, scaleId, ct))!;
        var levelsChange = !current.Levels.Select(l => (l.Name, l.Threshold, l.Points, l.Color, l.IsMastery))
            .SequenceEqual(levels.Select(l => (l.Name, l.Threshold, l.Points, l.Color, l.IsMastery)));
        if (levelsChange && current.InUse) return ScaleReplacement.InUse;

        await using (var rename = scope.Command("UPDATE hephaestus.mastery_scales SET name = $2 WHERE id = $1"))
        {
            rename.Parameters.Add(Uuid(scaleId));
            rename.Parameters.Add(Text(name));
            await rename.ExecuteNonQueryAsync(ct);
        }

        if (!levelsChange) return ScaleReplacement.Replaced;
        try
        {
            await using (var delete = scope.Command("DELETE FROM hephaestus.mastery_levels WHERE scale_id = $1"))
            {
                delete.Parameters.Add(Uuid(scaleId));
                await delete.ExecuteNonQueryAsync(ct);
            }

            await InsertLevelsAsync(scope, scaleId, levels, ct);
            return ScaleReplacement.Replaced;
        }
        catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.ScaleInUse)
        {
            return ScaleReplacement.InUse;
        }
    }

    /// <summary>
    /// Locks every version of the scale's family and returns the family and its next version number; null when there is
    /// no such scale. Locking the family makes two new versions take turns; the next statement's fresh snapshot then
    /// sees the version the other one committed.
    /// </summary>
    public static async Task<(Guid FamilyId, int NextVersion)?> LockFamilyAsync(ActorScope scope, Guid scaleId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        Guid familyId;
        await using (var lockFamily = scope.Command("""
            SELECT family_id FROM hephaestus.mastery_scales
            WHERE family_id = (SELECT family_id FROM hephaestus.mastery_scales WHERE id = $1)
            ORDER BY version FOR UPDATE
            """))
        {
            lockFamily.Parameters.Add(Uuid(scaleId));
            if (await lockFamily.ExecuteScalarAsync(ct) is not Guid family) return null;
            familyId = family;
        }

        await using var newest = scope.Command("SELECT max(version) + 1 FROM hephaestus.mastery_scales WHERE family_id = $1");
        newest.Parameters.Add(Uuid(familyId));
        return (familyId, (int)(await newest.ExecuteScalarAsync(ct))!);
    }

    /// <summary>All levels in one statement; rank is the position in the list.</summary>
    static async Task InsertLevelsAsync(ActorScope scope, Guid scaleId, IReadOnlyList<MasteryLevelDefinition> levels, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, points, color, is_mastery)
            SELECT $1, u.ord - 1, u.name, u.threshold, u.points, u.color, u.is_mastery
            FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::text[], $6::boolean[]) WITH ORDINALITY AS u (name, threshold, points, color, is_mastery, ord)
            """);
        command.Parameters.Add(Uuid(scaleId));
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = levels.Select(l => l.Name).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = levels.Select(l => l.Threshold).ToArray() });
        command.Parameters.Add(NullableDecimals(levels.Select(l => l.Points)));
        command.Parameters.Add(TextArray(levels.Select(l => l.Color).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = levels.Select(l => l.IsMastery).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<MasteryScaleResponse?> ReadAsync(ActorScope scope, Guid scaleId, CancellationToken ct) =>
        (await ReadManyAsync(scope, scaleId, null, 1, ct)).SingleOrDefault();

    /// <summary>Scales by id (keyset: after the given id; a new version is a new scale, so it comes later), a page at a time.</summary>
    public static async Task<Page<MasteryScaleResponse>> ListAsync(ActorScope scope, Guid? after, int size, CancellationToken ct) =>
        Paging.TrimById([.. await ReadManyAsync(scope, null, after, Paging.Fetch(size), ct)], size, s => s.Id);

    /// <summary>One scale, or up to <paramref name="count"/> after <paramref name="after"/> by id, with their levels; one statement.</summary>
    static async Task<IReadOnlyList<MasteryScaleResponse>> ReadManyAsync(ActorScope scope, Guid? scaleId, Guid? after, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT s.id, s.family_id, s.version, s.name, s.created_at, hephaestus.mastery_scale_in_use(s.id),
                   l.rank, l.name, l.threshold, l.points, l.color, l.is_mastery
            FROM (SELECT * FROM hephaestus.mastery_scales WHERE ($1::uuid IS NULL OR id = $1) AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3) s
            LEFT JOIN hephaestus.mastery_levels l ON l.scale_id = s.id
            ORDER BY s.id, l.rank
            """);
        command.Parameters.Add(NullableUuid(scaleId));
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(count));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var scales = new List<MasteryScaleResponse>();
        List<MasteryLevelResponse> levels = [];
        while (await reader.ReadAsync(ct))
        {
            if (scales.Count == 0 || scales[^1].Id != reader.GetGuid(0))
            {
                levels = [];
                scales.Add(new MasteryScaleResponse(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3),
                    reader.GetTime(4), reader.GetBoolean(5), levels));
            }

            if (reader.IsDBNull(6)) continue;
            levels.Add(new MasteryLevelResponse(reader.GetInt16(6), reader.GetString(7), reader.GetDecimal(8),
                reader.IsDBNull(9) ? null : reader.GetDecimal(9), reader.GetNullableString(10), reader.GetBoolean(11)));
        }

        return scales;
    }
}

/// <summary>What replacing a scale came to.</summary>
public enum ScaleReplacement
{
    Replaced,
    NotFound,

    /// <summary>Mastery or evidence is recorded against the scale, so its levels cannot change (only its name).</summary>
    InUse,
}

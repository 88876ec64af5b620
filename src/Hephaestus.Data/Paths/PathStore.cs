using System.Text.Json;
using Hephaestus.Domain.Paths;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Paths;

/// <summary>What asking for a new draft came to.</summary>
public enum DraftCreation
{
    Created,
    PathNotFound,

    /// <summary>A path has at most one draft (ux_path_versions_one_draft).</summary>
    DraftExists,
}

/// <summary>
/// Learning paths and their versions: a draft is edited (its steps replaced as a whole); publishing freezes it (the
/// database refuses any later change); retiring stops new enrollments.
/// </summary>
public static class PathStore
{
    /// <summary>The path with its first (empty) draft, in one round trip; false when the code is taken.</summary>
    public static async Task<bool> CreateAsync(ActorScope scope, Guid pathId, string code, string title, string? description, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        try
        {
            await scope.ExecuteAsync(
            [
                new NpgsqlBatchCommand("INSERT INTO hephaestus.learning_paths (id, code, title, description) VALUES ($1, $2, $3, $4)")
                {
                    Parameters = { Uuid(pathId), Text(code), Text(title), Text(description) },
                },
                new NpgsqlBatchCommand("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)")
                {
                    Parameters = { Uuid(Guid.CreateVersion7()), Uuid(pathId) },
                },
            ], ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>Paths by id, a page at a time, after the given id.</summary>
    public static async Task<Page<PathResponse>> ListAsync(ActorScope scope, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var ids = new List<Guid>();
        await using (var command = scope.Command("SELECT id FROM hephaestus.learning_paths WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2"))
        {
            command.Parameters.Add(NullableUuid(after));
            command.Parameters.Add(Int(Paging.Fetch(size)));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        var page = Paging.TrimById(ids, size, id => id);
        var items = new List<PathResponse>();
        foreach (var id in page.Items) items.Add((await ReadAsync(scope, id, ct))!);
        return new Page<PathResponse>(items, page.Next);
    }

    public static async Task<PathResponse?> ReadAsync(ActorScope scope, Guid pathId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT p.id, p.code, p.title, p.description, p.created_at,
                   v.id, v.version, v.status, v.created_at, v.published_at, v.retired_at,
                   (SELECT count(*)::int FROM hephaestus.path_steps s WHERE s.path_version_id = v.id)
            FROM hephaestus.learning_paths p
            LEFT JOIN hephaestus.path_versions v ON v.path_id = p.id
            WHERE p.id = $1
            ORDER BY v.version
            """);
        command.Parameters.Add(Uuid(pathId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        PathResponse? path = null;
        var versions = new List<PathVersionSummary>();
        while (await reader.ReadAsync(ct))
        {
            path ??= new PathResponse(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetNullableString(3), reader.GetTime(4), versions);
            if (!reader.IsDBNull(5))
            {
                versions.Add(new PathVersionSummary(reader.GetGuid(5), reader.GetInt32(6), PathVersionStatusNames.Parse(reader.GetString(7)),
                    reader.GetTime(8), reader.GetNullableTime(9), reader.GetNullableTime(10), reader.GetInt32(11)));
            }
        }

        return path;
    }

    /// <summary>A new draft starts as a copy of the newest version, so an author edits the next version, not a blank one.</summary>
    public static async Task<(DraftCreation Outcome, Guid DraftId)> CreateDraftAsync(ActorScope scope, Guid pathId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        // The path row lock serializes two authors creating the next version at once.
        await using (var lockPath = scope.Command("SELECT 1 FROM hephaestus.learning_paths WHERE id = $1 FOR UPDATE"))
        {
            lockPath.Parameters.Add(Uuid(pathId));
            if (await lockPath.ExecuteScalarAsync(ct) is null) return (DraftCreation.PathNotFound, Guid.Empty);
        }

        Guid? newestId;
        int newestNumber;
        await using (var newest = scope.Command("SELECT id, version FROM hephaestus.path_versions WHERE path_id = $1 ORDER BY version DESC LIMIT 1"))
        {
            newest.Parameters.Add(Uuid(pathId));
            await using var reader = await newest.ExecuteReaderAsync(ct);
            (newestId, newestNumber) = await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetInt32(1)) : ((Guid?)null, 0);
        }

        var draftId = Guid.CreateVersion7();
        await using (var insert = scope.Command("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, $3)"))
        {
            insert.Parameters.Add(Uuid(draftId));
            insert.Parameters.Add(Uuid(pathId));
            insert.Parameters.Add(Int(newestNumber + 1));
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "ux_path_versions_one_draft")
            {
                return (DraftCreation.DraftExists, Guid.Empty);
            }
        }

        if (newestId is { } sourceId)
        {
            var source = await ReadVersionAsync(scope, pathId, sourceId, ct);
            var steps = source!.Steps
                .Select(s => new NewStep(s.Key, s.Kind, s.RefId, s.Title, s.TargetSkillIds, s.UnlockRule, s.EstimatedMinutes, s.Prerequisites))
                .ToList();
            var ids = steps.ToDictionary(s => s.Key, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
            await InsertStepsAsync(scope, draftId, steps, ids, ct);
            await InsertPrerequisitesAsync(scope, draftId, steps, ids, ct);
        }

        return (DraftCreation.Created, draftId);
    }

    /// <summary>Locks the version row (so steps, publish and retire of one version happen one at a time) and returns its status.</summary>
    public static async Task<PathVersionStatus?> LockVersionAsync(ActorScope scope, Guid pathId, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT status FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2 FOR UPDATE");
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(Uuid(pathId));
        return await command.ExecuteScalarAsync(ct) is string status ? PathVersionStatusNames.Parse(status) : null;
    }

    /// <summary>The level names (in rank order) of each given skill's scale; a skill that does not exist is absent.</summary>
    public static async Task<Dictionary<Guid, string[]>> SkillLevelsAsync(ActorScope scope, IEnumerable<Guid> skillIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT s.id, array_agg(l.name ORDER BY l.rank)
            FROM hephaestus.skills s
            JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            JOIN hephaestus.mastery_levels l ON l.scale_id = f.scale_id
            WHERE s.id = ANY ($1)
            GROUP BY s.id
            """);
        command.Parameters.Add(Uuids(skillIds.Distinct().ToArray()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var levels = new Dictionary<Guid, string[]>();
        while (await reader.ReadAsync(ct)) levels[reader.GetGuid(0)] = reader.GetFieldValue<string[]>(1);
        return levels;
    }

    /// <summary>Which of the given ids are assessments.</summary>
    public static Task<HashSet<Guid>> ExistingAssessmentsAsync(ActorScope scope, IEnumerable<Guid> assessmentIds, CancellationToken ct) =>
        ExistingAsync(scope, "SELECT id FROM hephaestus.assessments WHERE id = ANY ($1)", assessmentIds, ct);

    /// <summary>Which of the given ids are content items.</summary>
    public static Task<HashSet<Guid>> ExistingContentItemsAsync(ActorScope scope, IEnumerable<Guid> itemIds, CancellationToken ct) =>
        ExistingAsync(scope, "SELECT id FROM hephaestus.content_items WHERE id = ANY ($1)", itemIds, ct);

    static async Task<HashSet<Guid>> ExistingAsync(ActorScope scope, string sql, IEnumerable<Guid> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command(sql);
        command.Parameters.Add(Uuids(ids.Distinct().ToArray()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var found = new HashSet<Guid>();
        while (await reader.ReadAsync(ct)) found.Add(reader.GetGuid(0));
        return found;
    }

    /// <summary>
    /// The steps of a version (position and key) that refer to a skill, an assessment or a content item that does not
    /// exist: the step's own reference (held by foreign keys since migrations 20261201210200 and 20261202000400, so this
    /// is a second look, which also catches content steps written before their foreign key, which is NOT VALID) and the
    /// skills it targets (an array, which no foreign key covers).
    /// </summary>
    public static async Task<List<(int Position, string Key, string Problem)>> DanglingReferencesAsync(ActorScope scope, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT s.position, s.step_key,
                   CASE WHEN s.kind = 'skill' AND NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = s.ref_id) THEN 'no skill with id ' || s.ref_id
                        WHEN s.kind = 'assessment' AND NOT EXISTS (SELECT 1 FROM hephaestus.assessments a WHERE a.id = s.ref_id) THEN 'no assessment with id ' || s.ref_id
                        WHEN s.kind = 'content' AND NOT EXISTS (SELECT 1 FROM hephaestus.content_items c WHERE c.id = s.ref_id) THEN 'no content item with id ' || s.ref_id
                        ELSE 'no skill with id ' || (SELECT min(t::text) FROM unnest(s.target_skill_ids) t WHERE NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = t))
                   END
            FROM hephaestus.path_steps s
            WHERE s.path_version_id = $1
              AND (s.kind = 'skill' AND NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = s.ref_id)
                   OR s.kind = 'assessment' AND NOT EXISTS (SELECT 1 FROM hephaestus.assessments a WHERE a.id = s.ref_id)
                   OR s.kind = 'content' AND NOT EXISTS (SELECT 1 FROM hephaestus.content_items c WHERE c.id = s.ref_id)
                   OR EXISTS (SELECT 1 FROM unnest(s.target_skill_ids) t WHERE NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = t)))
            ORDER BY s.position
            """);
        command.Parameters.Add(Uuid(versionId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var dangling = new List<(int, string, string)>();
        while (await reader.ReadAsync(ct)) dangling.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        return dangling;
    }

    /// <summary>
    /// Replaces every step of a (locked) draft. A cycle among the prerequisites is refused by the database; it comes back
    /// as the step keys around it (the transaction is then unusable), null when the steps were written.
    /// </summary>
    public static async Task<IReadOnlyList<string>?> ReplaceStepsAsync(ActorScope scope, Guid versionId, IReadOnlyList<NewStep> steps, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(steps);
        var stepIds = steps.ToDictionary(s => s.Key, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
        await using (var delete = scope.Command("DELETE FROM hephaestus.path_steps WHERE path_version_id = $1"))
        {
            delete.Parameters.Add(Uuid(versionId));
            await delete.ExecuteNonQueryAsync(ct);
        }

        await InsertStepsAsync(scope, versionId, steps, stepIds, ct);
        try
        {
            await InsertPrerequisitesAsync(scope, versionId, steps, stepIds, ct);
            return null;
        }
        catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.Cycle)
        {
            var keysById = stepIds.ToDictionary(p => p.Value, p => p.Key);
            return HephaestusSqlStates.CycleIds(e).Select(id => keysById.GetValueOrDefault(id, id.ToString())).ToList();
        }
    }

    public static Task PublishAsync(ActorScope scope, Guid versionId, CancellationToken ct) =>
        ExecuteAsync(scope, "UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = $1", versionId, ct);

    public static Task RetireAsync(ActorScope scope, Guid versionId, CancellationToken ct) =>
        ExecuteAsync(scope, "UPDATE hephaestus.path_versions SET status = 'retired', retired_at = now() WHERE id = $1", versionId, ct);

    public static Task DeleteVersionAsync(ActorScope scope, Guid versionId, CancellationToken ct) =>
        ExecuteAsync(scope, "DELETE FROM hephaestus.path_versions WHERE id = $1", versionId, ct);

    static async Task ExecuteAsync(ActorScope scope, string sql, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command(sql);
        command.Parameters.Add(Uuid(versionId));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The version, its steps and its prerequisites: three statements, one round trip.</summary>
    public static async Task<PathVersionResponse?> ReadVersionAsync(ActorScope scope, Guid pathId, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT id, path_id, version, status, created_at, published_at, retired_at FROM hephaestus.path_versions WHERE id = $1 AND path_id = $2")
        {
            Parameters = { Uuid(versionId), Uuid(pathId) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT id, step_key, kind, ref_id, title, position, target_skill_ids, unlock_rule, estimated_minutes
            FROM hephaestus.path_steps WHERE path_version_id = $1 ORDER BY position
            """)
        {
            Parameters = { Uuid(versionId) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT p.step_id, s.step_key
            FROM hephaestus.path_step_prerequisites p JOIN hephaestus.path_steps s ON s.id = p.prerequisite_step_id
            WHERE p.path_version_id = $1 ORDER BY s.position
            """)
        {
            Parameters = { Uuid(versionId) },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var header = (Id: reader.GetGuid(0), PathId: reader.GetGuid(1), Version: reader.GetInt32(2), Status: PathVersionStatusNames.Parse(reader.GetString(3)),
            CreatedAt: reader.GetTime(4), PublishedAt: reader.GetNullableTime(5), RetiredAt: reader.GetNullableTime(6));

        await reader.NextResultAsync(ct);
        var prerequisites = new Dictionary<Guid, List<string>>();
        var rows = new List<(Guid Id, string Key, StepKind Kind, Guid Ref, string Title, int Position, Guid[] Targets, JsonElement? Rule, int? Minutes)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetGuid(0), reader.GetString(1), StepWireNames.ParseKind(reader.GetString(2)), reader.GetGuid(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetFieldValue<Guid[]>(6), reader.GetNullableJson(7), reader.GetNullableInt32(8)));
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var stepId = reader.GetGuid(0);
            if (!prerequisites.TryGetValue(stepId, out var list)) prerequisites[stepId] = list = [];
            list.Add(reader.GetString(1));
        }

        var steps = rows.Select(r => new StepResponse(r.Id, r.Key, r.Kind, r.Ref, r.Title, r.Position, r.Targets, r.Rule, r.Minutes,
            prerequisites.TryGetValue(r.Id, out var p) ? p : [])).ToList();
        return new PathVersionResponse(header.Id, header.PathId, header.Version, header.Status, header.CreatedAt, header.PublishedAt, header.RetiredAt, steps);
    }

    /// <summary>All steps in one statement: parallel arrays through unnest, not one INSERT per step. Positions are 0..n-1 in list order.</summary>
    static async Task InsertStepsAsync(ActorScope scope, Guid versionId, IReadOnlyList<NewStep> steps, Dictionary<string, Guid> ids, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids, unlock_rule, estimated_minutes)
            SELECT u.id, $1, u.step_key, u.kind, u.ref_id, u.title, u.position - 1, u.targets::uuid[], u.rule::jsonb, u.minutes
            FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::int[])
                 WITH ORDINALITY AS u (id, step_key, kind, ref_id, title, targets, rule, minutes, position)
            """);
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(Uuids(steps.Select(s => ids[s.Key]).ToArray()));
        command.Parameters.Add(TextArray(steps.Select(s => s.Key).ToArray()));
        command.Parameters.Add(TextArray(steps.Select(s => s.Kind.ToWireName()).ToArray()));
        command.Parameters.Add(Uuids(steps.Select(s => s.RefId).ToArray()));
        command.Parameters.Add(TextArray(steps.Select(s => s.Title).ToArray()));
        // Arrays of arrays cannot travel as a ragged uuid[][], so each step's targets go as an array literal.
        command.Parameters.Add(TextArray(steps.Select(s => "{" + string.Join(',', s.TargetSkillIds) + "}").ToArray()));
        command.Parameters.Add(TextArray(steps.Select(s => s.UnlockRule?.GetRawText()).ToArray()));
        command.Parameters.Add(NullableInts(steps.Select(s => s.EstimatedMinutes)));
        await command.ExecuteNonQueryAsync(ct);
    }

    static async Task InsertPrerequisitesAsync(ActorScope scope, Guid versionId, IReadOnlyList<NewStep> steps, Dictionary<string, Guid> ids, CancellationToken ct)
    {
        var edges = steps.SelectMany(s => s.Prerequisites.Distinct(StringComparer.Ordinal).Select(p => (Step: ids[s.Key], Prerequisite: ids[p]))).ToList();
        if (edges.Count == 0) return;
        await using var command = scope.Command("""
            INSERT INTO hephaestus.path_step_prerequisites (path_version_id, step_id, prerequisite_step_id)
            SELECT $1, u.step_id, u.prerequisite_id FROM unnest($2::uuid[], $3::uuid[]) AS u (step_id, prerequisite_id)
            """);
        command.Parameters.Add(Uuid(versionId));
        command.Parameters.Add(Uuids(edges.Select(e => e.Step).ToArray()));
        command.Parameters.Add(Uuids(edges.Select(e => e.Prerequisite).ToArray()));
        await command.ExecuteNonQueryAsync(ct);
    }
}

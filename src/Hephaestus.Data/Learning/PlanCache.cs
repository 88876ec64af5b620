using System.Collections.Concurrent;
using System.Text.Json;
using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>
/// A published version's plan and what explanations need about its skills (codes, level names by rank), with its path's
/// title (a path's title is set when the path is made and never changes, so caching it with the plan is safe).
/// </summary>
public sealed record VersionPlan(Guid VersionId, Guid PathId, string PathTitle, int Version, PathPlan Plan,
    IReadOnlyDictionary<Guid, PlanSkill> Skills);

/// <summary>
/// Plans of published versions, kept in memory: a published version never changes (the database refuses it), so its
/// steps, parsed rules and dependency graph are read and parsed once, not on every evaluation of every learner. Skill
/// codes and scale levels can change (a framework moved to a new scale version), so an entry is reloaded after a minute.
/// Keys are version ids (UUIDv7), unique across databases, so one process serving several databases cannot mix them up.
/// One instance per process (a singleton of the host), owned by <see cref="LearnerRecord"/>.
/// </summary>
/// <remarks>
/// When an entry grows stale, one caller reloads it while the others go on with the stale plan: without that, every
/// request for a popular version in the moment it expired would read and parse it at once (a stampede, once a minute,
/// of as many reloads as requests in flight). A plan a minute and a reload old is as good as one a minute old.
/// </remarks>
public sealed class PlanCache(TimeProvider? time = null)
{
    static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    const int Capacity = 4096;
    readonly ConcurrentDictionary<Guid, Entry> _plans = new();
    readonly TimeProvider _time = time ?? TimeProvider.System;
    long _loads;

    /// <summary>How many times a plan was read from the database (diagnostics and tests).</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <param name="actor">Needed when there is no transaction (row-level security reads it from the transaction).</param>
    public async Task<VersionPlan?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Actor actor, Guid versionId, CancellationToken ct)
    {
        if (_plans.TryGetValue(versionId, out var entry))
        {
            if (_time.GetUtcNow() - entry.LoadedAt < Lifetime) return entry.Plan;
            // Stale: this caller reloads it unless another already is.
            if (Interlocked.Exchange(ref entry.Reloading, 1) == 1) return entry.Plan;
        }
        var replaced = false;
        try
        {
            Interlocked.Increment(ref _loads);
            if (await LoadAsync(connection, transaction, actor, versionId, ct) is not { } loaded) return null;
            if (_plans.Count >= Capacity) _plans.Clear();
            // Drafts change: only frozen versions are kept.
            if (loaded.Status != "draft")
            {
                _plans[versionId] = new Entry(loaded.Plan, _time.GetUtcNow());
                replaced = true;
            }
            return loaded.Plan;
        }
        finally
        {
            // A replaced entry stays marked, so a caller still holding it serves it rather than reloading again; a reload
            // that failed (cancelled, say) leaves the stale entry for the next caller to try.
            if (entry is not null && !replaced) Volatile.Write(ref entry.Reloading, 0);
        }
    }

    public Task<VersionPlan?> GetAsync(ActorScope scope, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return GetAsync(scope.Connection, scope.Transaction, scope.Actor, versionId, ct);
    }

    static async Task<(VersionPlan Plan, string Status)?> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Actor actor, Guid versionId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    SELECT v.path_id, v.version, v.status, p.title
                    FROM hephaestus.path_versions v JOIN hephaestus.learning_paths p ON p.id = v.path_id WHERE v.id = $1
                    """) { Parameters = { SqlParameters.Uuid(versionId) } },
                new NpgsqlBatchCommand("""
                    SELECT s.id, s.step_key, s.kind, s.ref_id, s.title, s.position, s.target_skill_ids, s.unlock_rule,
                           coalesce((SELECT array_agg(p.step_key ORDER BY p.position)
                                     FROM hephaestus.path_step_prerequisites e JOIN hephaestus.path_steps p ON p.id = e.prerequisite_step_id
                                     WHERE e.path_version_id = s.path_version_id AND e.step_id = s.id), '{}'),
                           s.estimated_minutes
                    FROM hephaestus.path_steps s WHERE s.path_version_id = $1
                    """) { Parameters = { SqlParameters.Uuid(versionId) } },
                // Every skill a step targets or a rule names, with its code, its scale's level names by rank and the rank
                // of the scale's mastery level (exactly one per scale: ux_mastery_levels_one_mastery and its trigger).
                new NpgsqlBatchCommand("""
                    WITH named AS (
                        SELECT unnest(target_skill_ids) AS id FROM hephaestus.path_steps WHERE path_version_id = $1
                        UNION
                        SELECT (jsonb_path_query(unlock_rule, 'lax $.**.mastery.skill') #>> '{}')::uuid
                        FROM hephaestus.path_steps WHERE path_version_id = $1 AND unlock_rule IS NOT NULL)
                    SELECT k.id, k.code, coalesce((SELECT array_agg(l.name ORDER BY l.rank) FROM hephaestus.mastery_levels l WHERE l.scale_id = f.scale_id), '{}'),
                           (SELECT l.rank FROM hephaestus.mastery_levels l WHERE l.scale_id = f.scale_id AND l.is_mastery)
                    FROM named JOIN hephaestus.skills k ON k.id = named.id JOIN hephaestus.competency_frameworks f ON f.id = k.framework_id
                    """) { Parameters = { SqlParameters.Uuid(versionId) } },
            },
        };
        if (transaction is null) batch.BatchCommands.Insert(0, ActorSession.BatchCommand(actor));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (transaction is null) await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var (pathId, version, status, pathTitle) = (reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3));

        await reader.NextResultAsync(ct);
        var steps = new List<PlannedStep>();
        while (await reader.ReadAsync(ct))
        {
            var rule = reader.IsDBNull(7) ? null : ParseStoredRule(reader.GetJson(7));
            var key = reader.GetString(1);
            steps.Add(new PlannedStep(key, StepWireNames.ParseKind(reader.GetString(2)), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetFieldValue<Guid[]>(6), rule, reader.GetFieldValue<string[]>(8), EstimatedMinutes: reader.IsDBNull(9) ? null : reader.GetInt32(9)));
        }

        await reader.NextResultAsync(ct);
        var skills = new Dictionary<Guid, PlanSkill>();
        while (await reader.ReadAsync(ct))
            skills[reader.GetGuid(0)] = new PlanSkill(reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetInt16(3));

        // Progress is stored by step index, and index i is the step at position i: positions are 0..n-1 (PathStore writes
        // them so); anything else would misread every learner's progress, so it is refused loudly.
        if (steps.Select(s => (int)s.Position).Order().Where((p, i) => p != i).Any())
        {
            throw new InvalidOperationException($"path version {versionId}: step positions are not 0..{steps.Count - 1}");
        }

        var plan = new PathPlan(steps);
        return (new VersionPlan(versionId, pathId, pathTitle, version, plan, skills), status);
    }

    sealed class Entry(VersionPlan plan, DateTimeOffset loadedAt)
    {
        public VersionPlan Plan { get; } = plan;
        public DateTimeOffset LoadedAt { get; } = loadedAt;
        public int Reloading;
    }

    /// <summary>Stored rules were validated when the draft was written; a rule that no longer parses is a bug, not input.</summary>
    static UnlockRule ParseStoredRule(JsonElement json)
    {
        var parsed = UnlockRuleParser.Parse(json);
        return parsed.Rule ?? throw new InvalidOperationException("stored unlock rule does not parse: " + string.Join("; ", parsed.Errors.Select(e => e.Path + " " + e.Message)));
    }
}

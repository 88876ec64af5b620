using Hephaestus.Domain.Analytics;
using Npgsql;

namespace Hephaestus.Data.Analytics;

/// <summary>
/// Whose performance and over what (issue 12, part 2). The learners: one learner, a cohort's learners, or (with neither)
/// the learners enrolled in the paths. The paths: one path version, or a program (several paths: every published or
/// retired version of each). The framework narrows the skills. A learner's own figures are never suppressed.
/// </summary>
public sealed record PerformanceQuery(Guid? LearnerId, Guid? CohortId, Guid? PathVersionId, IReadOnlyList<Guid> Paths, Guid? FrameworkId)
{
    public bool HasPaths => PathVersionId is not null || Paths.Count > 0;
}

/// <summary>Why a performance read found nothing to answer: what was missing (or not visible to the actor).</summary>
public enum PerformanceOutcome
{
    Found,
    LearnerNotFound,
    CohortNotFound,
    PathVersionNotFound,
    PathNotFound,
}

/// <summary>A performance panel, or the outcome saying what was not found (<paramref name="Missing"/> names it).</summary>
public sealed record PerformanceRead<T>(PerformanceOutcome Outcome, Guid? Missing, T? Data) where T : class;

/// <summary>
/// Performance across modules and programs: mastery per skill and module, completion and drop-off per step, scores,
/// time on task, progress per week, and two cohorts side by side. Each panel is one set-based statement over the
/// same scope (<see cref="ScopeSql"/>), run in the analytics scope it is given, after one statement that checks what
/// the query names and counts its learners.
/// </summary>
public static partial class PerformanceStore
{
    /// <summary>
    /// The scope every panel starts from. $1 learner, $2 cohort, $3 paths (uuid[]), $4 path version, $6 whether paths
    /// were named. versions: the path versions in scope; population: the learners; scoped_enrollments: the population's
    /// enrollments in those versions (all of their enrollments when no path was named). RECURSIVE for the module tree.
    /// </summary>
    const string ScopeSql = """
        WITH RECURSIVE versions AS (
            SELECT v.id, v.path_id, v.version, p.code AS path_code
            FROM hephaestus.path_versions v JOIN hephaestus.learning_paths p ON p.id = v.path_id
            WHERE v.id = $4 OR (v.path_id = ANY ($3) AND v.status <> 'draft')
        ), population AS (
            SELECT m.user_id AS learner_id FROM hephaestus.cohort_members m WHERE m.cohort_id = $2 AND m.member_role = 'learner'
            UNION SELECT u.id FROM hephaestus.users u WHERE u.id = $1
            UNION SELECT e.learner_id FROM hephaestus.enrollments e JOIN versions v ON v.id = e.path_version_id
                  WHERE $1::uuid IS NULL AND $2::uuid IS NULL
        ), scoped_enrollments AS (
            SELECT e.learner_id, e.path_version_id, e.status, e.step_status, e.step_notes
            FROM population p JOIN hephaestus.enrollments e ON e.learner_id = p.learner_id
            WHERE NOT $6 OR e.path_version_id IN (SELECT id FROM versions)
        )
        """;

    /// <summary>
    /// The skills in scope ($5 the framework): those the paths' steps target when paths are named, else the framework's,
    /// else every skill the population has a mastery row for.
    /// </summary>
    const string InScopeSkillsSql = """
        , in_scope AS (
            SELECT s.id FROM hephaestus.skills s
            WHERE ($5::uuid IS NULL OR s.framework_id = $5)
              AND CASE WHEN $6 THEN s.id IN (SELECT unnest(ps.target_skill_ids) FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id)
                       WHEN $5::uuid IS NOT NULL THEN true
                       ELSE EXISTS (SELECT 1 FROM population p JOIN hephaestus.learner_skill_mastery m ON m.learner_id = p.learner_id
                                    WHERE m.skill_id = s.id) END
        )
        """;

    /// <summary>
    /// What the query names, as the actor sees it, and how many learners it covers: the learner (visible), the cohort
    /// (one they may analyse: admin, analyst, or its educator), the path version, the first unknown path.
    /// </summary>
    const string ResolveSql = """
        SELECT $1::uuid IS NULL OR EXISTS (SELECT 1 FROM hephaestus.users WHERE id = $1),
               $2::uuid IS NULL OR coalesce((
                   SELECT hephaestus.has_role('admin') OR hephaestus.analyses_all() OR hephaestus.is_cohort_educator(c.id)
                   FROM hephaestus.cohorts c WHERE c.id = $2), false),
               $4::uuid IS NULL OR EXISTS (SELECT 1 FROM hephaestus.path_versions WHERE id = $4),
               (SELECT x FROM unnest($3::uuid[]) x WHERE NOT EXISTS (SELECT 1 FROM hephaestus.learning_paths p WHERE p.id = x) LIMIT 1),
               (
        """ + ScopeSql + """
                SELECT count(*) FROM population)
        """;

    /// <summary>The outcome, and the number of learners in scope when found.</summary>
    static async Task<(PerformanceOutcome Outcome, Guid? Missing, long Learners)> ResolveAsync(ActorScope scope, PerformanceQuery query, CancellationToken ct)
    {
        await using var command = Command(scope, ResolveSql, query);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (!reader.GetBoolean(0)) return (PerformanceOutcome.LearnerNotFound, query.LearnerId, 0);
        if (!reader.GetBoolean(1)) return (PerformanceOutcome.CohortNotFound, query.CohortId, 0);
        if (!reader.GetBoolean(2)) return (PerformanceOutcome.PathVersionNotFound, query.PathVersionId, 0);
        if (reader.GetNullableGuid(3) is { } path) return (PerformanceOutcome.PathNotFound, path, 0);
        return (PerformanceOutcome.Found, null, reader.GetInt64(4));
    }

    /// <summary>Resolves the query, then reads the panel; a not-found outcome stops before the panel's statement.</summary>
    static async Task<PerformanceRead<T>> ReadAsync<T>(ActorScope scope, PerformanceQuery query, Func<long, Task<T>> panel, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(query);
        var (outcome, missing, learners) = await ResolveAsync(scope, query, ct);
        return outcome == PerformanceOutcome.Found ? new(outcome, null, await panel(learners)) : new(outcome, missing, null);
    }

    /// <summary>A command over the scope: $1..$6 as <see cref="ScopeSql"/> and <see cref="InScopeSkillsSql"/> use them, then <paramref name="extra"/>.</summary>
    static NpgsqlCommand Command(ActorScope scope, string sql, PerformanceQuery query, params NpgsqlParameter[] extra)
    {
        var command = scope.Command(sql);
        command.Parameters.Add(SqlParameters.NullableUuid(query.LearnerId));
        command.Parameters.Add(SqlParameters.NullableUuid(query.CohortId));
        command.Parameters.Add(SqlParameters.Uuids([.. query.Paths]));
        command.Parameters.Add(SqlParameters.NullableUuid(query.PathVersionId));
        command.Parameters.Add(SqlParameters.NullableUuid(query.FrameworkId));
        command.Parameters.Add(SqlParameters.Bool(query.HasPaths));
        command.Parameters.AddRange(extra);
        return command;
    }

    /// <summary>Null when an aggregate over these learners may be shown; a learner's own figures never are suppressed.</summary>
    static string? Suppression(PerformanceQuery query, long learners, int minimum) =>
        query.LearnerId is not null ? null : SmallGroups.SuppressionReason(learners, minimum);

    static double? Float(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    static long? Long(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}

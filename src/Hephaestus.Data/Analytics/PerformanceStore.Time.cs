using Npgsql;

namespace Hephaestus.Data.Analytics;

/// <summary>
/// Time on task over one subject (the learners' total, a step, a skill): the learners with time on it, their summed
/// duration_ms, and the mean and median per such learner (ms). Null figures (the reason in Suppressed) when fewer learners
/// than the minimum group size.
/// </summary>
public sealed record TimeOnTask(string Kind, Guid? SubjectId, string? Code, string? Title, Guid? PathVersionId, long Learners, long? TotalMs,
    double? MeanMsPerLearner, double? MedianMsPerLearner, string? Suppressed);

/// <summary>The time panel: the learners in scope, their total, and the time per step (paths named) and per skill.</summary>
public sealed record TimePerformance(long Learners, TimeOnTask Total, IReadOnlyList<TimeOnTask> Steps, IReadOnlyList<TimeOnTask> Skills);

public static partial class PerformanceStore
{
    /// <summary>
    /// What counts (docs/architecture.md, "Analytics: performance"): every learning event of a learner in scope with a
    /// duration_ms, occurred in [$7, $8) when given. A step's: events whose object is the step's reference (object type
    /// the step's kind — skill, content, assessment — and object id its ref id), or for a content step a content_version
    /// of its item (any version: hephaestus.content_versions_of, whatever the reader may see of the versions themselves); only for learners enrolled on the step's version. A skill's (the skills in scope): object type skill
    /// with the skill's id, an activity aligned to the skill (event_activity_alignments.skill_id, object id matched
    /// exactly), or a content item aligned to the skill (content_item_skills) or a content_version of one. An event counts once per
    /// subject however many of these name it.
    /// </summary>
    const string TimeSql = ScopeSql + InScopeSkillsSql + """
        , events AS MATERIALIZED (
            SELECT ev.id, ev.learner_id, ev.object_type, ev.object_id, ev.duration_ms
            FROM population p JOIN hephaestus.learning_events ev ON ev.learner_id = p.learner_id
            WHERE ev.duration_ms IS NOT NULL AND ($7::timestamptz IS NULL OR ev.occurred_at >= $7) AND ($8::timestamptz IS NULL OR ev.occurred_at < $8)
        ), enrolled_on AS MATERIALIZED (
            -- Who is enrolled on which version, once: inlined, the join below probed enrollments' index once per event.
            SELECT learner_id, path_version_id FROM scoped_enrollments
        ), per_learner AS (
            SELECT learner_id, sum(duration_ms) AS ms FROM events GROUP BY learner_id
        ), step_targets AS (
            SELECT ps.id AS step_id, ps.path_version_id, ps.kind AS object_type, ps.ref_id::text AS object_id
            FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id
            UNION
            SELECT ps.id, ps.path_version_id, 'content_version', cv.content_version_id::text
            FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id
            CROSS JOIN LATERAL hephaestus.content_versions_of(ARRAY[ps.ref_id]) cv
            WHERE ps.kind = 'content'
        ), per_step AS (
            SELECT step_id, learner_id, sum(duration_ms) AS ms
            FROM (SELECT DISTINCT t.step_id, e.id, e.learner_id, e.duration_ms
                  FROM step_targets t
                  JOIN events e ON e.object_type = t.object_type AND e.object_id = t.object_id
                  JOIN enrolled_on se ON se.learner_id = e.learner_id AND se.path_version_id = t.path_version_id) named
            GROUP BY step_id, learner_id
        ), skill_targets AS (
            SELECT i.id AS skill_id, 'skill' AS object_type, i.id::text AS object_id FROM in_scope i
            UNION
            SELECT a.skill_id, NULL, a.activity_id FROM hephaestus.event_activity_alignments a JOIN in_scope i ON i.id = a.skill_id
            UNION
            SELECT cs.skill_id, 'content', cs.content_item_id::text FROM hephaestus.content_item_skills cs JOIN in_scope i ON i.id = cs.skill_id
            UNION
            SELECT cs.skill_id, 'content_version', cv.content_version_id::text
            FROM hephaestus.content_item_skills cs JOIN in_scope i ON i.id = cs.skill_id
            CROSS JOIN LATERAL hephaestus.content_versions_of(ARRAY[cs.content_item_id]) cv
        ), per_skill AS (
            SELECT skill_id, learner_id, sum(duration_ms) AS ms
            FROM (SELECT DISTINCT t.skill_id, e.id, e.learner_id, e.duration_ms
                  FROM skill_targets t JOIN events e ON e.object_id = t.object_id AND (t.object_type IS NULL OR e.object_type = t.object_type)) named
            GROUP BY skill_id, learner_id
        )
        SELECT 'total', NULL::uuid, NULL, NULL, NULL::uuid, NULL::int, count(*), sum(ms)::bigint, avg(ms)::float8,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)
        FROM per_learner
        UNION ALL
        SELECT 'step', ps.id, ps.step_key, ps.title, ps.path_version_id, ps.position, count(*), sum(x.ms)::bigint, avg(x.ms)::float8,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms)
        FROM per_step x JOIN hephaestus.path_steps ps ON ps.id = x.step_id
        GROUP BY ps.id, ps.step_key, ps.title, ps.path_version_id, ps.position
        UNION ALL
        SELECT 'skill', s.id, s.code, s.title, NULL, NULL, count(*), sum(x.ms)::bigint, avg(x.ms)::float8, percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms)
        FROM per_skill x JOIN hephaestus.skills s ON s.id = x.skill_id
        GROUP BY s.id, s.code, s.title
        """;

    /// <summary>Time on task of the learners in scope, in [<paramref name="since"/>, <paramref name="until"/>) when given.</summary>
    public static Task<PerformanceRead<TimePerformance>> TimeAsync(ActorScope scope, PerformanceQuery query, DateTimeOffset? since, DateTimeOffset? until,
        int minimumGroupSize, CancellationToken ct) =>
        ReadAsync(scope, query, async learners =>
        {
            var rows = new List<(TimeOnTask Figures, int Position)>();
            await using (var command = Command(scope, TimeSql, query, SqlParameters.NullableTime(since), SqlParameters.NullableTime(until)))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) rows.Add((TimeFigures(reader, query, minimumGroupSize), reader.IsDBNull(5) ? 0 : reader.GetInt32(5)));
            }

            var total = rows.Single(r => r.Figures.Kind == "total").Figures;
            return new TimePerformance(learners, total,
                [.. rows.Where(r => r.Figures.Kind == "step").OrderBy(r => r.Figures.PathVersionId).ThenBy(r => r.Position).Select(r => r.Figures)],
                [.. rows.Where(r => r.Figures.Kind == "skill").Select(r => r.Figures).OrderBy(f => f.Code, StringComparer.Ordinal)]);
        }, ct);

    static TimeOnTask TimeFigures(NpgsqlDataReader reader, PerformanceQuery query, int minimumGroupSize)
    {
        var (kind, n) = (reader.GetString(0), reader.GetInt64(6));
        var hidden = Suppression(query, n, minimumGroupSize);
        return new TimeOnTask(kind, reader.GetNullableGuid(1), reader.GetNullableString(2), reader.GetNullableString(3), reader.GetNullableGuid(4), n,
            hidden is null ? Long(reader, 7) : null, hidden is null ? Float(reader, 8) : null, hidden is null ? Float(reader, 9) : null, hidden);
    }
}

using Hephaestus.Domain.Analytics;

namespace Hephaestus.Data.Analytics;

/// <summary>
/// One week (Monday 00:00 UTC to the next) of the learners in scope: skills mastered that week (learner × skill, by
/// learner_skill_mastery.mastered_at: skills mastered now, in the week they were reached), steps completed that week (the
/// path versions' steps, by the time of the step's last status change), and both counted from the start up to the
/// week's end.
/// </summary>
public sealed record ProgressWeek(DateOnly WeekStart, long? MasteredSkills, long? CompletedSteps, long? MasteredSkillsToDate, long? CompletedStepsToDate);

/// <summary>The progress panel: the learners in scope and the weeks from <paramref name="From"/> to the week holding <paramref name="Until"/>.</summary>
public sealed record ProgressPerformance(long Learners, DateOnly From, DateOnly Until, string? Suppressed, IReadOnlyList<ProgressWeek> Weeks);

public static partial class PerformanceStore
{
    /// <summary>
    /// $7 the Monday of the first week, $8 the Monday of the last; the skills are the mastery panel's. A completed step's
    /// key is found by position in the version's keys (positions 0..n−1), not by joining path_steps per array entry (as in
    /// <see cref="StepsSql"/>).
    /// </summary>
    const string ProgressSql = ScopeSql + InScopeSkillsSql + """
        , weeks AS (
            SELECT d::date AS week_start FROM generate_series($7::date, $8::date, interval '1 week') d
        ), mastered AS (
            SELECT date_trunc('week', m.mastered_at AT TIME ZONE 'UTC')::date AS week_start, count(*) AS n
            FROM population p JOIN hephaestus.learner_skill_mastery m ON m.learner_id = p.learner_id
            WHERE m.mastered AND m.skill_id IN (SELECT id FROM in_scope)
            GROUP BY 1
        ), step_keys AS (
            SELECT ps.path_version_id, array_agg(ps.step_key ORDER BY ps.position) AS keys
            FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id GROUP BY 1
        ), completed AS (
            SELECT date_trunc('week', (e.step_notes -> k.keys[x.ord::int] ->> 'updatedAt')::timestamptz AT TIME ZONE 'UTC')::date AS week_start, count(*) AS n
            FROM scoped_enrollments e
            JOIN step_keys k ON k.path_version_id = e.path_version_id
            CROSS JOIN LATERAL unnest(e.step_status[1:cardinality(k.keys)]) WITH ORDINALITY AS x (code, ord)
            WHERE x.code = 3
            GROUP BY 1
        )
        SELECT w.week_start, coalesce(m.n, 0), coalesce(c.n, 0),
               (SELECT coalesce(sum(n), 0)::bigint FROM mastered x WHERE x.week_start <= w.week_start),
               (SELECT coalesce(sum(n), 0)::bigint FROM completed x WHERE x.week_start <= w.week_start)
        FROM weeks w
        LEFT JOIN mastered m ON m.week_start = w.week_start
        LEFT JOIN completed c ON c.week_start = w.week_start
        ORDER BY w.week_start
        """;

    /// <summary>The weekly series of the <paramref name="weeks"/> weeks ending with the week holding <paramref name="until"/>.</summary>
    public static Task<PerformanceRead<ProgressPerformance>> ProgressAsync(ActorScope scope, PerformanceQuery query, DateOnly until, int weeks,
        int minimumGroupSize, CancellationToken ct) =>
        ReadAsync(scope, query, async learners =>
        {
            var last = PerformanceFigures.WeekStart(until);
            var first = last.AddDays(-7 * (weeks - 1));
            var hidden = Suppression(query, learners, minimumGroupSize);
            var series = new List<ProgressWeek>();
            await using var command = Command(scope, ProgressSql, query, SqlParameters.NullableDate(first), SqlParameters.NullableDate(last));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var week = reader.GetFieldValue<DateOnly>(0);
                series.Add(hidden is null
                    ? new ProgressWeek(week, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4))
                    : new ProgressWeek(week, null, null, null, null));
            }

            return new ProgressPerformance(learners, first, until, hidden, series);
        }, ct);
}

using Hephaestus.Domain.Analytics;

namespace Hephaestus.Data.Analytics;

/// <summary>
/// One step of a path version over the enrollments in scope: enrolled (enrollments on the version), reached (the step is
/// no longer locked), in progress, completed, skipped, stopped here (unfinished enrollments whose first step neither
/// completed nor skipped is this one: where an active learner is now, or where a withdrawn one left off), and of those
/// withdrawn; completion rate = completed / enrolled, drop-off rate = stopped here / reached. Counts are null (the reason
/// in Suppressed) when the version has fewer enrollments in scope than the minimum group size.
/// </summary>
public sealed record StepPerformance(Guid PathVersionId, Guid PathId, string PathCode, int Version, Guid StepId, string StepKey, string Title, string Kind,
    int Position, long Enrolled, long? Reached, long? InProgress, long? Completed, long? Skipped, long? StoppedHere, long? WithdrawnHere,
    double? CompletionRate, double? DropOffRate, string? Suppressed);

/// <summary>The steps panel: the learners in scope and each step of each path version in scope, in path and step order.</summary>
public sealed record StepsPerformance(long Learners, IReadOnlyList<StepPerformance> Steps);

public static partial class PerformanceStore
{
    /// <summary>
    /// The version's own steps only: the status array's first n entries, n the version's number of steps (positions
    /// 0..n−1, as Sql/0004 keeps them; steps an educator inserted for one learner follow them and are no step of the
    /// path). Counted straight from each enrollment's array, position = ordinal − 1, without joining path_steps per array
    /// entry: that join, planned as a nested loop filtered on position, read 44 million rows at 100,000 enrollments.
    /// </summary>
    const string StepsSql = ScopeSql + """
        , version_steps AS (
            SELECT ps.path_version_id, count(*)::int AS steps FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id GROUP BY 1
        ), own_steps AS (
            SELECT e.path_version_id, e.status AS enrollment_status, e.step_status[1:n.steps] AS codes
            FROM scoped_enrollments e JOIN version_steps n ON n.path_version_id = e.path_version_id
        ), counts AS (
            SELECT o.path_version_id, (x.ord - 1)::int AS position, count(*) FILTER (WHERE x.code <> 0) AS reached,
                   count(*) FILTER (WHERE x.code = 2) AS in_progress, count(*) FILTER (WHERE x.code = 3) AS completed,
                   count(*) FILTER (WHERE x.code = 4) AS skipped
            FROM own_steps o CROSS JOIN LATERAL unnest(o.codes) WITH ORDINALITY AS x (code, ord)
            GROUP BY 1, 2
        ), stops AS (
            SELECT o.path_version_id, f.position, count(*) AS stopped, count(*) FILTER (WHERE o.enrollment_status = 'withdrawn') AS withdrawn
            FROM own_steps o
            CROSS JOIN LATERAL (SELECT (min(x.ord) - 1)::int AS position FROM unnest(o.codes) WITH ORDINALITY AS x (code, ord)
                                WHERE x.code NOT IN (3, 4)) f
            WHERE f.position IS NOT NULL AND o.enrollment_status <> 'completed'
            GROUP BY 1, 2
        ), enrolled AS (
            SELECT path_version_id, count(*) AS n FROM own_steps GROUP BY path_version_id
        )
        SELECT v.id, v.path_id, v.path_code, v.version, ps.id, ps.step_key, ps.title, ps.kind, ps.position, coalesce(n.n, 0),
               coalesce(c.reached, 0), coalesce(c.in_progress, 0), coalesce(c.completed, 0), coalesce(c.skipped, 0),
               coalesce(s.stopped, 0), coalesce(s.withdrawn, 0)
        FROM versions v
        JOIN hephaestus.path_steps ps ON ps.path_version_id = v.id
        LEFT JOIN enrolled n ON n.path_version_id = v.id
        LEFT JOIN counts c ON c.path_version_id = v.id AND c.position = ps.position
        LEFT JOIN stops s ON s.path_version_id = v.id AND s.position = ps.position
        ORDER BY v.path_code, v.version, ps.position
        """;

    /// <summary>Completion and drop-off per step of the path versions in scope (the query names paths).</summary>
    public static Task<PerformanceRead<StepsPerformance>> StepsAsync(ActorScope scope, PerformanceQuery query, int minimumGroupSize, CancellationToken ct) =>
        ReadAsync(scope, query, async learners =>
        {
            var steps = new List<StepPerformance>();
            await using var command = Command(scope, StepsSql, query);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var enrolled = reader.GetInt64(9);
                var (reached, completed, stopped) = (reader.GetInt64(10), reader.GetInt64(12), reader.GetInt64(14));
                var hidden = Suppression(query, enrolled, minimumGroupSize);
                steps.Add(new StepPerformance(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3), reader.GetGuid(4),
                    reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetInt32(8), enrolled,
                    hidden is null ? reached : null, hidden is null ? reader.GetInt64(11) : null, hidden is null ? completed : null,
                    hidden is null ? reader.GetInt64(13) : null, hidden is null ? stopped : null, hidden is null ? reader.GetInt64(15) : null,
                    hidden is null ? PerformanceFigures.Rate(completed, enrolled) : null, hidden is null ? PerformanceFigures.Rate(stopped, reached) : null,
                    hidden));
            }

            return new StepsPerformance(learners, steps);
        }, ct);
}

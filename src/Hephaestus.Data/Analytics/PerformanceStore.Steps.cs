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
    /// The version's own steps only (status array positions 0..n−1, joined to path_steps by position): steps an educator
    /// inserted for one learner are no step of the path.
    /// </summary>
    const string StepsSql = ScopeSql + """
        , per_step AS (
            SELECT e.path_version_id, e.learner_id, e.status AS enrollment_status, x.code, ps.position
            FROM scoped_enrollments e
            CROSS JOIN LATERAL unnest(e.step_status) WITH ORDINALITY AS x (code, ord)
            JOIN hephaestus.path_steps ps ON ps.path_version_id = e.path_version_id AND ps.position = x.ord - 1
        ), counts AS (
            SELECT path_version_id, position, count(*) FILTER (WHERE code <> 0) AS reached, count(*) FILTER (WHERE code = 2) AS in_progress,
                   count(*) FILTER (WHERE code = 3) AS completed, count(*) FILTER (WHERE code = 4) AS skipped
            FROM per_step GROUP BY path_version_id, position
        ), frontier AS (
            SELECT path_version_id, learner_id, min(position) FILTER (WHERE code NOT IN (3, 4)) AS position,
                   bool_or(enrollment_status = 'withdrawn') AS withdrawn, bool_or(enrollment_status = 'completed') AS completed
            FROM per_step GROUP BY path_version_id, learner_id
        ), stops AS (
            SELECT path_version_id, position, count(*) AS stopped, count(*) FILTER (WHERE withdrawn) AS withdrawn
            FROM frontier WHERE position IS NOT NULL AND NOT completed GROUP BY path_version_id, position
        ), enrolled AS (
            SELECT path_version_id, count(*) AS n FROM scoped_enrollments GROUP BY path_version_id
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

using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

public sealed record LearnerProgressRow(Guid LearnerId, string DisplayName, Guid EnrollmentId, int Version, EnrollmentStatus Status, int Done, int Total,
    int InProgress, int Available, int Locked, DateTimeOffset? LastActivityAt);

public sealed record StepProgressRow(string Key, int Completed, int Skipped, int InProgress, int Available, int Locked, double? AverageScore);

/// <param name="Learners">The cohort's learners; <see cref="LearnerProgress"/> holds those enrolled in the path.</param>
public sealed record CohortPathProgress(int Learners, IReadOnlyList<LearnerProgressRow> LearnerProgress, IReadOnlyList<StepProgressRow> Steps);

/// <summary>
/// An educator's view of one path across a cohort: each learner's progress (least advanced first, so whoever needs
/// help is at the top) and, per step, where the cohort stands (a step many are locked at or score low on is where the
/// path needs attention). Aggregated in PostgreSQL; row-level security limits it to learners the actor may read.
/// </summary>
public static class CohortProgress
{
    const string TeachesOrAdmin = "SELECT hephaestus.is_cohort_educator($1) OR hephaestus.has_role('admin')";

    // Both read the enrollments' progress arrays row by row through the enrollment_step_states view.
    const string Learners = """
        SELECT e.learner_id, u.display_name, e.id, v.version, e.status,
               count(*) FILTER (WHERE s.status IN ('completed', 'skipped'))::int,
               count(s.step_key)::int,
               count(*) FILTER (WHERE s.status = 'in_progress')::int,
               count(*) FILTER (WHERE s.status = 'available')::int,
               count(*) FILTER (WHERE s.status = 'locked')::int,
               max(s.updated_at)
        FROM hephaestus.cohort_members m
        JOIN hephaestus.users u ON u.id = m.user_id
        JOIN hephaestus.enrollments e ON e.learner_id = m.user_id AND e.path_id = $2
        JOIN hephaestus.path_versions v ON v.id = e.path_version_id
        LEFT JOIN hephaestus.enrollment_step_states s ON s.learner_id = e.learner_id AND s.enrollment_id = e.id
        WHERE m.cohort_id = $1 AND m.member_role = 'learner'
        GROUP BY e.learner_id, u.display_name, e.id, v.version, e.status
        ORDER BY count(*) FILTER (WHERE s.status IN ('completed', 'skipped'))::float / greatest(count(s.step_key), 1), u.display_name
        """;

    const string Steps = """
        SELECT s.step_key,
               count(*) FILTER (WHERE s.status = 'completed')::int, count(*) FILTER (WHERE s.status = 'skipped')::int,
               count(*) FILTER (WHERE s.status = 'in_progress')::int, count(*) FILTER (WHERE s.status = 'available')::int,
               count(*) FILTER (WHERE s.status = 'locked')::int, avg(s.score)::float8
        FROM hephaestus.cohort_members m
        JOIN hephaestus.enrollment_step_states s ON s.learner_id = m.user_id AND s.path_id = $2
        WHERE m.cohort_id = $1 AND m.member_role = 'learner'
        GROUP BY s.step_key
        ORDER BY min(s.step_index) FILTER (WHERE s.path_step_id IS NOT NULL) NULLS LAST, s.step_key
        """;

    const string CohortSize = "SELECT count(*)::int FROM hephaestus.cohort_members WHERE cohort_id = $1 AND member_role = 'learner'";

    /// <summary>Null unless the actor teaches the cohort or is an admin.</summary>
    public static async Task<CohortPathProgress?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, Guid pathId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await TeachesOrAdminAsync(scope, cohortId, ct)) return null;

        var learners = new List<LearnerProgressRow>();
        var steps = new List<StepProgressRow>();
        int size;
        await using (var batch = scope.Batch())
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Learners) { Parameters = { SqlParameters.Uuid(cohortId), SqlParameters.Uuid(pathId) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Steps) { Parameters = { SqlParameters.Uuid(cohortId), SqlParameters.Uuid(pathId) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CohortSize) { Parameters = { SqlParameters.Uuid(cohortId) } });
            await using var r = await batch.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                learners.Add(new LearnerProgressRow(r.GetGuid(0), r.GetString(1), r.GetGuid(2), r.GetInt32(3), EnrollmentNames.ParseStatus(r.GetString(4)),
                    r.GetInt32(5), r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetNullableTime(10)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                steps.Add(new StepProgressRow(r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
                    r.IsDBNull(6) ? null : Math.Round(r.GetDouble(6), 4)));
            }

            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            size = r.GetInt32(0);
        }

        await scope.CommitAsync(ct);
        return new CohortPathProgress(size, learners, steps);
    }

    /// <summary>Whether the actor teaches the cohort or is an admin: the views of a cohort's progress are theirs only.</summary>
    internal static async Task<bool> TeachesOrAdminAsync(ActorScope scope, Guid cohortId, CancellationToken ct)
    {
        await using var check = scope.Command(TeachesOrAdmin);
        check.Parameters.Add(SqlParameters.Uuid(cohortId));
        return await check.ExecuteScalarAsync(ct) is true;
    }
}

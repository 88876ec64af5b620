using Hephaestus.Domain;
using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A step of the path as some learner of the cohort has it: a step of a version, or one an educator inserted for a learner.</summary>
public sealed record StepColumn(string Key, string Title, bool Inserted);

/// <summary>One learner's status (and latest score, on an assessment step) on one step; no status when their enrollment has no such step.</summary>
public sealed record StepCell(string Key, StepStatus? Status, double? Score);

/// <summary>A learner of the cohort enrolled in the path: their enrollment, and one cell per column in the columns' order.</summary>
public sealed record LearnerStepsRow(Guid LearnerId, string DisplayName, Guid EnrollmentId, int Version, EnrollmentStatus Status, int Done, int Total,
    IReadOnlyList<StepCell> Cells);

/// <summary>A page of the cohort's learners on the path against every step any of them has (the same columns on every page).</summary>
public sealed record CohortStepGrid(string PathCode, string PathTitle, IReadOnlyList<StepColumn> Steps, Page<LearnerStepsRow> Learners);

public enum CohortGridOutcome
{
    Done,
    CohortNotFound,
    PathNotFound,
}

public sealed record CohortGridRead(CohortGridOutcome Outcome, CohortStepGrid? Grid);

/// <summary>
/// A cohort's progress on a path learner by step (the educator's heat map): each enrolled learner's status on every step,
/// keyset-paged by learner id. Columns are what the cohort as a whole has (the steps of every version its learners are
/// on, in path order, then the steps educators inserted, by key), so a page is read against the same columns as the next.
/// Only for educators of the cohort and admins; row-level security limits it to learners the actor may read.
/// </summary>
public static class CohortStepStatuses
{
    const string Path = "SELECT code, title FROM hephaestus.learning_paths WHERE id = $1";

    const string Columns = """
        WITH enrolled AS (
            SELECT e.path_version_id, e.inserted_steps
            FROM hephaestus.cohort_members m
            JOIN hephaestus.enrollments e ON e.learner_id = m.user_id AND e.path_id = $2
            WHERE m.cohort_id = $1 AND m.member_role = 'learner')
        SELECT s.key, min(s.title), bool_and(s.inserted)
        FROM (
            SELECT ps.step_key AS key, ps.title, ps.position, false AS inserted
            FROM (SELECT DISTINCT path_version_id FROM enrolled) v
            JOIN hephaestus.path_steps ps ON ps.path_version_id = v.path_version_id
            UNION ALL
            SELECT x ->> 'key', x ->> 'title', NULL, true
            FROM enrolled CROSS JOIN LATERAL jsonb_array_elements(enrolled.inserted_steps) x) s
        GROUP BY s.key
        ORDER BY min(s.position) NULLS LAST, s.key
        """;

    // The page of learners first (a LIMIT on the roster), then only their steps: a page costs its own rows, not the cohort's.
    const string Learners = """
        WITH page AS (
            SELECT e.learner_id, u.display_name, e.id, v.version, e.status
            FROM hephaestus.cohort_members m
            JOIN hephaestus.users u ON u.id = m.user_id
            JOIN hephaestus.enrollments e ON e.learner_id = m.user_id AND e.path_id = $2
            JOIN hephaestus.path_versions v ON v.id = e.path_version_id
            WHERE m.cohort_id = $1 AND m.member_role = 'learner' AND ($3::uuid IS NULL OR m.user_id > $3)
            ORDER BY m.user_id
            LIMIT $4)
        SELECT p.learner_id, p.display_name, p.id, p.version, p.status,
               coalesce(array_agg(s.step_key ORDER BY s.step_index) FILTER (WHERE s.step_key IS NOT NULL), '{}'),
               coalesce(array_agg(s.status ORDER BY s.step_index) FILTER (WHERE s.step_key IS NOT NULL), '{}'),
               coalesce(array_agg(s.score::float8 ORDER BY s.step_index) FILTER (WHERE s.step_key IS NOT NULL), '{}')
        FROM page p
        LEFT JOIN hephaestus.enrollment_step_states s ON s.learner_id = p.learner_id AND s.enrollment_id = p.id
        GROUP BY p.learner_id, p.display_name, p.id, p.version, p.status
        ORDER BY p.learner_id
        """;

    public static async Task<CohortGridRead> ReadAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, Guid pathId, Guid? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await CohortProgress.TeachesOrAdminAsync(scope, cohortId, ct)) return new CohortGridRead(CohortGridOutcome.CohortNotFound, null);

        string code, title;
        var columns = new List<StepColumn>();
        var rows = new List<LearnerStepsRow>();
        await using (var batch = scope.Batch())
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Path) { Parameters = { SqlParameters.Uuid(pathId) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Columns) { Parameters = { SqlParameters.Uuid(cohortId), SqlParameters.Uuid(pathId) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Learners)
            {
                Parameters = { SqlParameters.Uuid(cohortId), SqlParameters.Uuid(pathId), SqlParameters.NullableUuid(after), SqlParameters.Int(Paging.Fetch(size)) },
            });
            await using var r = await batch.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return new CohortGridRead(CohortGridOutcome.PathNotFound, null);
            (code, title) = (r.GetString(0), r.GetString(1));

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct)) columns.Add(new StepColumn(r.GetString(0), r.GetString(1), r.GetBoolean(2)));

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct)) rows.Add(Row(r, columns));
        }

        await scope.CommitAsync(ct);
        return new CohortGridRead(CohortGridOutcome.Done, new CohortStepGrid(code, title, columns, Paging.TrimById(rows, size, row => row.LearnerId)));
    }

    /// <summary>A learner's steps (keys, statuses, scores in step order) laid out against the cohort's columns.</summary>
    static LearnerStepsRow Row(NpgsqlDataReader r, List<StepColumn> columns)
    {
        var keys = r.GetFieldValue<string[]>(5);
        var statuses = r.GetFieldValue<string[]>(6);
        var scores = r.GetFieldValue<double?[]>(7);
        var byKey = new Dictionary<string, (StepStatus Status, double? Score)>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++) byKey[keys[i]] = (WireNames<StepStatus>.Parse(statuses[i]), scores[i] is { } s ? (double?)Math.Round(s, 4) : null);
        var cells = columns.Select(c => byKey.TryGetValue(c.Key, out var cell) ? new StepCell(c.Key, cell.Status, cell.Score) : new StepCell(c.Key, null, null)).ToList();
        return new LearnerStepsRow(r.GetGuid(0), r.GetString(1), r.GetGuid(2), r.GetInt32(3), EnrollmentNames.ParseStatus(r.GetString(4)),
            byKey.Values.Count(v => v.Status.IsDone()), keys.Length, cells);
    }
}

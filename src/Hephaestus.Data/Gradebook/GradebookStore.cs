using System.Data;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Gradebook;

/// <summary>A gradebook column: an assessment.</summary>
public sealed record AssessmentColumn(Guid Id, string Title);

/// <summary>
/// A learner's standing on one assessment: the status across their attempts, how many they made, the combined score of
/// their results (null before any, or when the reader may not see it) and their last submission.
/// </summary>
public sealed record GradeCell(Guid AssessmentId, GradeStatus Status, int Attempts, double? Score, DateTimeOffset? LastSubmittedAt);

/// <summary>A gradebook row: one learner, one cell per column in the columns' order.</summary>
public sealed record GradebookRow<TCell>(Guid LearnerId, string DisplayName, IReadOnlyList<TCell> Cells);

/// <summary>A mastery gradebook column: a skill.</summary>
public sealed record SkillColumn(Guid Id, string Code, string Title);

/// <summary>A learner's mastery of one skill as recorded (value and level null before any evidence).</summary>
public sealed record MasteryCell(Guid SkillId, double? Value, string? Level, bool Mastered);

/// <summary>A page of a cohort's learners against every column of the cohort (the columns are the same on every page).</summary>
public sealed record CohortGradebook<TColumn, TCell>(Guid CohortId, IReadOnlyList<TColumn> Columns, Page<GradebookRow<TCell>> Learners);

/// <summary>
/// A cohort's gradebooks: learner × assessment (status and combined score) and learner × skill (mastery). Rows are the
/// cohort's learners, keyset-paged by learner id. Columns are what concerns the cohort as a whole, the same on every
/// page: the assessments any of its learners attempted or meets as a step of a path they are enrolled in (including an
/// educator's inserted steps), by title; and the skills any of them has mastery recorded for or meets as a step's target
/// skill, by code. Everything runs as the actor: a cohort the actor is not in (and not an admin) is null; a learner
/// of the cohort sees the cohort with only their own row, and only their own columns.
/// </summary>
public static class GradebookStore
{
    const string CohortVisible = "SELECT EXISTS (SELECT 1 FROM hephaestus.cohorts WHERE id = $1)";

    const string LearnerPage = """
        SELECT m.user_id, u.display_name
        FROM hephaestus.cohort_members m JOIN hephaestus.users u ON u.id = m.user_id
        WHERE m.cohort_id = $1 AND m.member_role = 'learner' AND ($2::uuid IS NULL OR m.user_id > $2)
        ORDER BY m.user_id
        LIMIT $3
        """;

    const string AssessmentColumns = """
        SELECT s.id, s.title FROM hephaestus.assessments s
        WHERE s.id IN (
            SELECT a.assessment_id FROM hephaestus.cohort_members m JOIN hephaestus.attempts a ON a.learner_id = m.user_id
            WHERE m.cohort_id = $1 AND m.member_role = 'learner'
            UNION
            SELECT ps.ref_id FROM hephaestus.cohort_members m JOIN hephaestus.enrollments e ON e.learner_id = m.user_id
            JOIN hephaestus.path_steps ps ON ps.path_version_id = e.path_version_id AND ps.kind = 'assessment'
            WHERE m.cohort_id = $1 AND m.member_role = 'learner'
            UNION
            -- An inserted step's reference is JSON: only uuids are cast, and only ids of real assessments survive the IN.
            SELECT (x ->> 'refId')::uuid FROM hephaestus.cohort_members m JOIN hephaestus.enrollments e ON e.learner_id = m.user_id
            CROSS JOIN LATERAL jsonb_array_elements(e.inserted_steps) x
            WHERE m.cohort_id = $1 AND m.member_role = 'learner' AND x ->> 'kind' = 'assessment'
              AND x ->> 'refId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
        ORDER BY s.title, s.id
        """;

    const string SkillColumns = """
        SELECT k.id, k.code, k.title FROM hephaestus.skills k
        WHERE k.id IN (
            SELECT x.skill_id FROM hephaestus.cohort_members m JOIN hephaestus.learner_skill_mastery x ON x.learner_id = m.user_id
            WHERE m.cohort_id = $1 AND m.member_role = 'learner'
            UNION
            SELECT unnest(ps.target_skill_ids)
            FROM hephaestus.cohort_members m JOIN hephaestus.enrollments e ON e.learner_id = m.user_id
            JOIN hephaestus.path_steps ps ON ps.path_version_id = e.path_version_id
            WHERE m.cohort_id = $1 AND m.member_role = 'learner')
        ORDER BY k.code, k.id
        """;

    /// <summary>
    /// One cell per learner and assessment attempted: each attempt's current result in attempt order, combined by the
    /// assessment's attempt policy in <see cref="AttemptScores.Combine"/> (the one place attempts combine).
    /// </summary>
    const string GradeCells = $"""
        SELECT a.learner_id, a.assessment_id, count(*)::int, bool_or(a.status = 'submitted'), count(r.id) > 0,
               array_agg(r.score ORDER BY a.number) FILTER (WHERE r.id IS NOT NULL),
               max(a.submitted_at), s.settings ->> 'feedback', hephaestus.can_teach_learner(a.learner_id), s.attempt_policy
        FROM hephaestus.attempts a
        JOIN hephaestus.assessments s ON s.id = a.assessment_id
        LEFT JOIN LATERAL ({Results.Current}) r ON true
        WHERE a.learner_id = ANY ($1)
        GROUP BY a.learner_id, a.assessment_id, s.id
        """;

    static double? CombinedScore(NpgsqlDataReader row) => AttemptScores.Combine(row.GetString(9), row.GetFieldValue<decimal[]>(5));

    const string MasteryCells = """
        SELECT learner_id, skill_id, value, level_name, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = ANY ($1)
        """;

    /// <summary>Learner × assessment. <paramref name="size"/> null: every learner (the CSV download).</summary>
    public static Task<CohortGradebook<AssessmentColumn, GradeCell>?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, Guid? after, int? size,
        CancellationToken ct) =>
        ReadAsync(db, actor, cohortId, after, size, new Shape<AssessmentColumn, GradeCell>(
            AssessmentColumns, r => new AssessmentColumn(r.GetGuid(0), r.GetString(1)), c => c.Id,
            GradeCells, r =>
            {
                var attempts = r.GetInt32(2);
                var graded = r.GetBoolean(4);
                var shown = Results.Shown(r.GetNullableString(7), r.GetBoolean(8));
                return new GradeCell(r.GetGuid(1), GradeStatuses.Of(attempts, r.GetBoolean(3), graded), attempts,
                    graded && shown.ShowsScore() ? CombinedScore(r) : null, r.GetNullableTime(6));
            },
            c => new GradeCell(c.Id, GradeStatus.NotStarted, 0, null, null)), ct);

    /// <summary>Learner × skill. <paramref name="size"/> null: every learner (the CSV download).</summary>
    public static Task<CohortGradebook<SkillColumn, MasteryCell>?> ReadMasteryAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, Guid? after, int? size,
        CancellationToken ct) =>
        ReadAsync(db, actor, cohortId, after, size, new Shape<SkillColumn, MasteryCell>(
            SkillColumns, r => new SkillColumn(r.GetGuid(0), r.GetString(1), r.GetString(2)), c => c.Id,
            MasteryCells, r => new MasteryCell(r.GetGuid(1), r.GetNullableDouble(2), r.GetNullableString(3), r.GetBoolean(4)),
            c => new MasteryCell(c.Id, null, null, false)), ct);

    /// <summary>
    /// What makes a gradebook: its columns' query (parameter: the cohort) and reader, a column's id, its cells' query
    /// (parameter: the page's learner ids; learner and column id first) and reader, and the cell of a learner with no row.
    /// </summary>
    sealed record Shape<TColumn, TCell>(string ColumnsSql, Func<NpgsqlDataReader, TColumn> Column, Func<TColumn, Guid> ColumnId,
        string CellsSql, Func<NpgsqlDataReader, TCell> Cell, Func<TColumn, TCell> Empty);

    static async Task<CohortGradebook<TColumn, TCell>?> ReadAsync<TColumn, TCell>(NpgsqlDataSource db, Actor actor, Guid cohortId, Guid? after, int? size,
        Shape<TColumn, TCell> shape, CancellationToken ct)
    {
        await using var scope = await BeginAsync(db, actor, cohortId, ct);
        if (scope is null) return null;
        var columns = new List<TColumn>();
        await using (var command = scope.Command(shape.ColumnsSql))
        {
            command.Parameters.Add(Uuid(cohortId));
            await using var r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) columns.Add(shape.Column(r));
        }

        var learners = await ReadLearnersAsync(scope, cohortId, after, size, ct);
        var cells = new Dictionary<(Guid Learner, Guid Column), TCell>();
        await using (var command = scope.Command(shape.CellsSql))
        {
            command.Parameters.Add(Uuids([.. learners.Items.Select(l => l.Id)]));
            await using var r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) cells[(r.GetGuid(0), r.GetGuid(1))] = shape.Cell(r);
        }

        await scope.CommitAsync(ct);
        var rows = learners.Items.Select(l => new GradebookRow<TCell>(l.Id, l.DisplayName,
            [.. columns.Select(c => cells.TryGetValue((l.Id, shape.ColumnId(c)), out var cell) ? cell : shape.Empty(c))]));
        return new CohortGradebook<TColumn, TCell>(cohortId, columns, new Page<GradebookRow<TCell>>([.. rows], learners.Next));
    }

    /// <summary>
    /// A read-only snapshot (columns, learners and cells agree) acting for the actor; null, and nothing open, when the
    /// cohort is not visible to them.
    /// </summary>
    static async Task<ActorScope?> BeginAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, CancellationToken ct)
    {
        var scope = await ActorScope.BeginAsync(db, actor, ct, IsolationLevel.RepeatableRead);
        try
        {
            await using var visible = scope.Command(CohortVisible);
            visible.Parameters.Add(Uuid(cohortId));
            if (await visible.ExecuteScalarAsync(ct) is true) return scope;
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }

        await scope.DisposeAsync();
        return null;
    }

    static async Task<Page<(Guid Id, string DisplayName)>> ReadLearnersAsync(ActorScope scope, Guid cohortId, Guid? after, int? size, CancellationToken ct)
    {
        await using var command = scope.Command(LearnerPage);
        command.Parameters.Add(Uuid(cohortId));
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(NullableInt(size is { } s ? Paging.Fetch(s) : null));
        var learners = new List<(Guid, string)>();
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) learners.Add((r.GetGuid(0), r.GetString(1)));
        }

        return size is { } pageSize ? Paging.TrimById(learners, pageSize, l => l.Item1) : new Page<(Guid, string)>(learners, null);
    }
}

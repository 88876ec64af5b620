using System.Text.Json;
using Hephaestus.Data.Learning;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Gradebook;

/// <summary>Which attempts a results list shows; every filter left null matches all. Submission times: since inclusive, until exclusive.</summary>
public sealed record ResultFilter(Guid? LearnerId = null, Guid? CohortId = null, Guid? AssessmentId = null, AttemptStatus? Status = null,
    DateTimeOffset? SubmittedSince = null, DateTimeOffset? SubmittedUntil = null);

/// <summary>
/// An attempt with its current result (the latest revision; none while the attempt is open). <see cref="Shown"/> is how
/// much of the result the reader may see (<see cref="ResultVisibility"/>): below <c>score</c>, the figures are null. The
/// assessment's current title comes along so that a list of attempts needs no call per assessment to be read.
/// </summary>
public sealed record AttemptResultRow(Guid AttemptId, Guid LearnerId, Guid AssessmentId, string AssessmentTitle, int Number, AttemptStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? SubmittedAt, FeedbackLevel Shown, Guid? ResultId, int? Revision, double? Score, decimal? Points, decimal? MaxPoints, bool? Passed);

/// <summary>One revision of an attempt's result; figures and items null where the reader may not see them.</summary>
public sealed record ResultRevisionRow(Guid ResultId, int Revision, string Reason, DateTimeOffset CreatedAt, double? Score, decimal? Points,
    decimal? MaxPoints, bool? Passed, IReadOnlyList<ItemResult>? Items);

/// <summary>An attempt's results, every revision, oldest first, with the assessment's title; the item versions answered only when items are shown.</summary>
public sealed record AttemptResults(Guid AttemptId, Guid LearnerId, Guid AssessmentId, string AssessmentTitle, int Number, AttemptStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? SubmittedAt, FeedbackLevel Shown, IReadOnlyList<Guid>? ItemVersionIds, IReadOnlyList<ResultRevisionRow> Revisions);

/// <summary>A rubric assessment as recorded: who rated which criteria of which rubric, with the points given.</summary>
public sealed record RubricAssessmentRow(Guid Id, Guid LearnerId, Guid RubricId, string RubricTitle, Guid AssessorId, string? Subject,
    IReadOnlyList<RatedCriterion> Ratings, decimal Points, DateTimeOffset CreatedAt);

/// <summary>
/// Reading results, attempts and rubric assessments back. Every read runs as the actor, so row-level security decides
/// whose rows exist: the learner's own, those of the learners an educator teaches, everyone's for an admin. What a
/// learner sees of their own result follows the assessment's feedback level (<see cref="ResultVisibility"/>).
/// </summary>
public static class ResultStore
{
    /// <summary>
    /// Attempts with their current result, keyset-paged by attempt id (UUIDv7: the order they were started). The
    /// per-assessment list walks ix_attempts_assessment, the per-learner list the primary key.
    /// </summary>
    const string AttemptPage = $"""
        SELECT a.id, a.learner_id, a.assessment_id, a.number, a.status, a.started_at, a.submitted_at,
               s.settings ->> 'feedback', hephaestus.can_teach_learner(a.learner_id),
               r.id, r.revision, r.score, r.points, r.max_points, r.passed, s.title
        FROM hephaestus.attempts a
        JOIN hephaestus.assessments s ON s.id = a.assessment_id
        LEFT JOIN LATERAL ({Results.Current}) r ON true
        WHERE ($1::uuid IS NULL OR a.learner_id = $1)
          AND ($2::uuid IS NULL OR a.learner_id IN (SELECT m.user_id FROM hephaestus.cohort_members m WHERE m.cohort_id = $2 AND m.member_role = 'learner'))
          AND ($3::uuid IS NULL OR a.assessment_id = $3)
          AND ($4::text IS NULL OR a.status = $4)
          AND ($5::timestamptz IS NULL OR a.submitted_at >= $5)
          AND ($6::timestamptz IS NULL OR a.submitted_at < $6)
          AND ($7::uuid IS NULL OR a.id > $7)
        ORDER BY a.id
        LIMIT $8
        """;

    const string AttemptWithRevisions = """
        SELECT a.id, a.learner_id, a.assessment_id, a.number, a.status, a.started_at, a.submitted_at,
               s.settings ->> 'feedback', hephaestus.can_teach_learner(a.learner_id), a.item_version_ids,
               r.id, r.revision, r.reason, r.created_at, r.score, r.points, r.max_points, r.passed, r.item_scores, s.title
        FROM hephaestus.attempts a
        JOIN hephaestus.assessments s ON s.id = a.assessment_id
        LEFT JOIN hephaestus.results r ON r.learner_id = a.learner_id AND r.attempt_id = a.id
        WHERE a.learner_id = $1 AND a.id = $2
        ORDER BY r.revision
        """;

    const string RubricAssessmentPage = """
        SELECT r.id, r.learner_id, r.rubric_id, b.title, r.assessor_id, r.subject, r.ratings, r.points, r.created_at
        FROM hephaestus.rubric_assessments r JOIN hephaestus.rubrics b ON b.id = r.rubric_id
        WHERE r.learner_id = $1 AND ($2::uuid IS NULL OR r.id > $2)
        ORDER BY r.id
        LIMIT $3
        """;

    const string AssessmentExists = "SELECT EXISTS (SELECT 1 FROM hephaestus.assessments WHERE id = $1)";

    /// <summary>An assessment's attempts and results; null when there is no such assessment.</summary>
    public static async Task<Page<AttemptResultRow>?> ListForAssessmentAsync(NpgsqlDataSource db, Actor actor, Guid assessmentId, ResultFilter filter,
        Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var exists = scope.Command(AssessmentExists))
        {
            exists.Parameters.Add(Uuid(assessmentId));
            if (await exists.ExecuteScalarAsync(ct) is not true) return null;
        }

        return await ListAsync(scope, filter with { AssessmentId = assessmentId }, after, size, ct);
    }

    /// <summary>A learner's attempts and results; null when the actor may not read the learner (the same as no such learner).</summary>
    public static async Task<Page<AttemptResultRow>?> ListForLearnerAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, ResultFilter filter,
        Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        return await ListAsync(scope, filter with { LearnerId = learnerId }, after, size, ct);
    }

    static async Task<Page<AttemptResultRow>> ListAsync(ActorScope scope, ResultFilter filter, Guid? after, int size, CancellationToken ct)
    {
        await using var command = scope.Command(AttemptPage);
        command.Parameters.Add(NullableUuid(filter.LearnerId));
        command.Parameters.Add(NullableUuid(filter.CohortId));
        command.Parameters.Add(NullableUuid(filter.AssessmentId));
        command.Parameters.Add(Text(filter.Status is { } status ? WireNames<AttemptStatus>.Of(status) : null));
        command.Parameters.Add(NullableTime(filter.SubmittedSince));
        command.Parameters.Add(NullableTime(filter.SubmittedUntil));
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        var rows = new List<AttemptResultRow>();
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var shown = Results.Shown(r.GetNullableString(7), r.GetBoolean(8));
                var visible = shown.ShowsScore() && !r.IsDBNull(9);
                rows.Add(new AttemptResultRow(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(15), r.GetInt32(3), AttemptStatuses.Parse(r.GetString(4)), r.GetTime(5),
                    r.GetNullableTime(6), shown, r.GetNullableGuid(9), r.GetNullableInt32(10),
                    visible ? (double)r.GetDecimal(11) : null, visible ? r.GetDecimal(12) : null, visible ? r.GetDecimal(13) : null,
                    visible && !r.IsDBNull(14) ? r.GetBoolean(14) : null));
            }
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, row => row.AttemptId);
    }

    /// <summary>Every result revision of one attempt, with per-item scores for staff; null when the attempt is not visible.</summary>
    public static async Task<AttemptResults?> ReadAttemptAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid attemptId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(AttemptWithRevisions);
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuid(attemptId));
        AttemptResults? attempt = null;
        var revisions = new List<ResultRevisionRow>();
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var shown = Results.Shown(r.GetNullableString(7), r.GetBoolean(8));
                attempt ??= new AttemptResults(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(19), r.GetInt32(3), AttemptStatuses.Parse(r.GetString(4)), r.GetTime(5),
                    r.GetNullableTime(6), shown, shown.ShowsItems() ? r.GetFieldValue<Guid[]>(9) : null, revisions);
                if (r.IsDBNull(10)) continue;
                var score = shown.ShowsScore();
                revisions.Add(new ResultRevisionRow(r.GetGuid(10), r.GetInt32(11), r.GetString(12), r.GetTime(13),
                    score ? (double)r.GetDecimal(14) : null, score ? r.GetDecimal(15) : null, score ? r.GetDecimal(16) : null,
                    score && !r.IsDBNull(17) ? r.GetBoolean(17) : null,
                    shown.ShowsItems() ? r.GetJson(18).Deserialize<List<ItemResult>>(JsonSerializerOptions.Web) : null));
            }
        }

        await scope.CommitAsync(ct);
        return attempt;
    }

    /// <summary>A learner's rubric assessments, keyset-paged by id (the order they were made); null when the learner is not visible.</summary>
    public static async Task<Page<RubricAssessmentRow>?> ListRubricAssessmentsAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid? after, int size,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        await using var command = scope.Command(RubricAssessmentPage);
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        var rows = new List<RubricAssessmentRow>();
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                rows.Add(new RubricAssessmentRow(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetGuid(4), r.GetNullableString(5),
                    r.GetJson(6).Deserialize<List<RatedCriterion>>(JsonSerializerOptions.Web)!, r.GetDecimal(7), r.GetTime(8)));
            }
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, row => row.Id);
    }
}

/// <summary>What the results list and the gradebooks read the same way.</summary>
internal static class Results
{
    /// <summary>An attempt's current result: its latest revision (a regrade supersedes, never edits). Correlated on the alias <c>a</c>.</summary>
    public const string Current = """
        SELECT x.id, x.revision, x.score, x.points, x.max_points, x.passed FROM hephaestus.results x
        WHERE x.learner_id = a.learner_id AND x.attempt_id = a.id ORDER BY x.revision DESC LIMIT 1
        """;

    /// <summary>What the reader sees, from the stored feedback setting (absent: the default, score) and whether they teach the learner.</summary>
    public static FeedbackLevel Shown(string? storedFeedback, bool staff) =>
        ResultVisibility.For(storedFeedback is null ? FeedbackLevel.Score : WireNames<FeedbackLevel>.Parse(storedFeedback), staff);
}

using System.Text.Json;
using Hephaestus.Domain.Assessments;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>An item's evidence: its score (0..1) for each skill it is aligned to, with the alignment's weight.</summary>
public sealed record ItemEvidence(Guid ItemVersionId, double Score01, IReadOnlyList<(Guid SkillId, decimal Weight)> Skills);

/// <summary>
/// A result revision of an attempt: revision 1 at submission, later ones by regrading. <see cref="DueAt"/> is the
/// attempt's due date, which its evidence carries (Canvas's due-date ordering folds by it).
/// </summary>
public sealed record ResultRevision(Guid LearnerId, Guid AttemptId, Guid AssessmentId, Guid ResultId, int Revision, ResultSummary Summary,
    string Reason, DateTimeOffset ObservedAt, IReadOnlyList<ItemEvidence> Items, DateTimeOffset? DueAt = null);

/// <summary>A person's rating of a learner's work against a rubric; each rated criterion aligned to a skill yields evidence.</summary>
public sealed record RubricRating(Guid LearnerId, Guid Id, Guid RubricId, Guid AssessorId, string? Subject, JsonElement Ratings, decimal Points,
    IReadOnlyList<(Guid SkillId, double Score01)> Evidence, DateTimeOffset ObservedAt);

/// <summary>What a recording moved: mastery per skill, and progress per enrollment.</summary>
public sealed record LearningChanges(IReadOnlyList<MasteryChange> Mastery, IReadOnlyList<EnrollmentProgressChange> Progress);

/// <summary>
/// The one owner of a learner's state: results → evidence → mastery → progress. Every entry point runs in the caller's
/// transaction (an <see cref="ActorScope"/>), so nothing is half-recorded and a rolled-back result leaves no trace, and
/// one entry point exists per kind of evidence. Lock order, everywhere: the learner's mastery rows (skill order), then
/// their active enrollment rows (id order); nothing takes them the other way round, so recordings cannot deadlock.
/// One instance per process (it holds the plan cache).
/// </summary>
public sealed partial class LearnerRecord(PlanCache plans)
{
    readonly ProgressEngine _progress = new(plans);


    /// <summary>
    /// Writes a result revision, its evidence, the mastery it moves, the learner's item analysis contribution to the
    /// assessment (the attempts its policy counts) and the progress that follows. A regrade (revision above 1) supersedes
    /// the attempt's earlier evidence, so its skills replay from the log.
    /// </summary>
    /// <param name="alongside">Commands that must commit with the result and ride in its last round trip (closing the attempt, an idempotency record).</param>
    public async Task<LearningChanges> RecordResultAsync(ActorScope scope, ResultRevision result, CancellationToken ct,
        IReadOnlyList<NpgsqlBatchCommand>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(result);
        var summary = result.Summary;
        // The result row goes in the same round trip as the mastery locks; the evidence refers to it.
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, passed, item_scores, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """)
        {
            Parameters =
            {
                SqlParameters.Uuid(result.LearnerId), SqlParameters.Uuid(result.ResultId), SqlParameters.Uuid(result.AttemptId),
                SqlParameters.Int(result.Revision),
                new NpgsqlParameter<decimal> { TypedValue = Math.Round((decimal)summary.Score, 6) },
                new NpgsqlParameter<decimal> { TypedValue = summary.Points },
                new NpgsqlParameter<decimal> { TypedValue = summary.MaxPoints },
                SqlParameters.NullableBool(summary.Passed),
                SqlParameters.JsonbOf(summary.Items, JsonSerializerOptions.Web),
                SqlParameters.Text(result.Reason),
            },
        };

        var evidence = result.Items.SelectMany(i => i.Skills.Select(s => new NewEvidence(s.SkillId, i.Score01, (double)s.Weight, result.ObservedAt, result.DueAt,
            "item_response", result.AttemptId, result.ResultId, i.ItemVersionId))).ToList();
        // The item analysis contribution rides with the last writes (it reads the result inserted in the first round trip).
        IReadOnlyList<NpgsqlBatchCommand> after = [.. alongside ?? [], ItemAnalysisContributions.RefreshCommand(result.LearnerId, result.AssessmentId)];
        // The writes (evidence, mastery, item analysis, the caller's) lead the progress re-evaluation's round trip, which
        // reads what they wrote: one round trip for both.
        var (mastery, writes) = await MasteryRecorder.RecordDeferringWritesAsync(scope, result.LearnerId, evidence, ct, replayAll: result.Revision > 1,
            before: [insert], after: after);
        var progress = await _progress.AfterResultAsync(scope, result.LearnerId, result.AssessmentId, ct, writes);
        return new LearningChanges(mastery, progress);
    }

    /// <summary>Stores a rubric rating and records the evidence of its criteria aligned to skills.</summary>
    public async Task<LearningChanges> RecordRubricRatingAsync(ActorScope scope, RubricRating rating, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(rating);
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.rubric_assessments (learner_id, id, rubric_id, assessor_id, subject, ratings, points)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """)
        {
            Parameters =
            {
                SqlParameters.Uuid(rating.LearnerId), SqlParameters.Uuid(rating.Id), SqlParameters.Uuid(rating.RubricId),
                SqlParameters.Uuid(rating.AssessorId), SqlParameters.Text(rating.Subject), SqlParameters.Jsonb(rating.Ratings),
                new NpgsqlParameter<decimal> { TypedValue = rating.Points },
            },
        };
        var evidence = rating.Evidence
            .Select(e => new NewEvidence(e.SkillId, e.Score01, 1, rating.ObservedAt, null, "rubric", RubricAssessmentId: rating.Id)).ToList();
        var mastery = await MasteryRecorder.RecordAsync(scope, rating.LearnerId, evidence, ct, before: [insert]);
        return new LearningChanges(mastery, await _progress.AfterMasteryChangeAsync(scope, rating.LearnerId, mastery, ct));
    }

    /// <summary>Evidence from any other source (an event, a test's arrangement): appended, mastery moved, progress re-evaluated.</summary>
    public async Task<LearningChanges> RecordEvidenceAsync(ActorScope scope, Guid learnerId, IReadOnlyList<NewEvidence> evidence, CancellationToken ct)
    {
        var mastery = await MasteryRecorder.RecordAsync(scope, learnerId, evidence, ct);
        return new LearningChanges(mastery, await _progress.AfterMasteryChangeAsync(scope, learnerId, mastery, ct));
    }

    /// <summary>After a learner or an educator changed a step's status directly: everything that depends on it is re-evaluated.</summary>
    public Task<IReadOnlyList<EnrollmentProgressChange>> ReevaluateProgressAsync(ActorScope scope, Guid learnerId, CancellationToken ct) =>
        _progress.ReevaluateAsync(scope, learnerId, ct);
}

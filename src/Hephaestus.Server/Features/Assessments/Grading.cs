using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Assessments;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>A written result revision and what it changed.</summary>
internal sealed record GradedResult(Guid AttemptId, Guid ResultId, int Revision, double Score, decimal Points, decimal MaxPoints, bool? Passed,
    IReadOnlyList<ItemResult> Items, IReadOnlyList<MasteryChange> Mastery);

/// <summary>A result revision's figures and the feedback a learner gets; writing it is the learner record's.</summary>
internal static class Grading
{
    /// <summary>Writes a result revision, its evidence, the mastery it moves and the progress that follows, in the caller's transaction.</summary>
    public static async Task<GradedResult> WriteResultAsync(LearnerRecord learning, ActorScope scope, AttemptRow attempt,
        List<(ItemVersionRow Item, ItemScore Score)> scored, AssessmentSettings settings, int revision, string reason, DateTimeOffset observedAt,
        CancellationToken ct, IReadOnlyList<NpgsqlBatchCommand>? after = null, Guid? id = null)
    {
        var resultId = id ?? Guid.CreateVersion7();
        var summary = Summarize(attempt, scored, settings, revision, resultId);
        var items = scored.Select(s => new ItemEvidence(s.Item.Id, s.Score.Score01, [.. s.Item.Skills.Select(a => (a.SkillId, a.Weight))])).ToList();
        var recorded = await learning.RecordResultAsync(scope, new ResultRevision(attempt.LearnerId, attempt.Id, attempt.AssessmentId, resultId, revision,
            ResultSummary.Of(scored.Select(s => (s.Item.Id, s.Score)), settings.PassScore), reason, observedAt, items), ct, after);
        return summary with { Mastery = recorded.Mastery };
    }

    /// <summary>The result's figures, before anything is written.</summary>
    public static GradedResult Summarize(AttemptRow attempt, List<(ItemVersionRow Item, ItemScore Score)> scored, AssessmentSettings settings, int revision, Guid resultId)
    {
        var s = ResultSummary.Of(scored.Select(x => (x.Item.Id, x.Score)), settings.PassScore);
        return new GradedResult(attempt.Id, resultId, revision, s.Score, s.Points, s.MaxPoints, s.Passed, s.Items, []);
    }

    /// <summary>What the learner is told, per the assessment's feedback setting (never the answer key).</summary>
    public static SubmissionResult Feedback(GradedResult r, AssessmentSettings settings) => settings.Feedback switch
    {
        "none" => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "none", null, null, null, null, null),
        "full" => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "full", r.Score, r.Points, r.MaxPoints, r.Passed, r.Items),
        _ => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "score", r.Score, r.Points, r.MaxPoints, r.Passed, null),
    };
}

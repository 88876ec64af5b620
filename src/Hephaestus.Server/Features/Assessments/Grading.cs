using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Domain.Assessments;
using Hephaestus.Server.Features.Enrollments;
using Hephaestus.Server.Features.Mastery;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>A written result revision and what it changed.</summary>
internal sealed record GradedResult(Guid AttemptId, Guid ResultId, int Revision, double Score, decimal Points, decimal MaxPoints, bool? Passed,
    IReadOnlyList<ItemResult> Items, IReadOnlyList<MasteryChange> Mastery);

/// <summary>Writes a result revision, its evidence, the mastery it moves and the progress that follows: one transaction.</summary>
internal static class Grading
{
    public static async Task<GradedResult> WriteResultAsync(ActorScope scope, AttemptRow attempt, List<(ItemVersionRow Item, ItemScore Score)> scored,
        AssessmentSettings settings, int revision, string reason, DateTimeOffset observedAt, CancellationToken ct,
        IReadOnlyList<NpgsqlBatchCommand>? after = null, Guid? id = null)
    {
        var resultId = id ?? Guid.CreateVersion7();
        var summary = Summarize(attempt, scored, settings, revision, resultId);
        var (score, points, maxPoints, passed, items) = (summary.Score, summary.Points, summary.MaxPoints, summary.Passed, summary.Items);
        // The result row goes in the same round trip as the mastery locks; the evidence refers to it.
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, passed, item_scores, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = attempt.LearnerId },
                new NpgsqlParameter<Guid> { TypedValue = resultId },
                new NpgsqlParameter<Guid> { TypedValue = attempt.Id },
                new NpgsqlParameter<int> { TypedValue = revision },
                new NpgsqlParameter<decimal> { TypedValue = Math.Round((decimal)score, 6) },
                new NpgsqlParameter<decimal> { TypedValue = points },
                new NpgsqlParameter<decimal> { TypedValue = maxPoints },
                new NpgsqlParameter { Value = (object?)passed ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean },
                new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(items, JsonSerializerOptions.Web) },
                new NpgsqlParameter<string> { TypedValue = reason },
            },
        };

        var evidence = scored.SelectMany(s => s.Item.Skills.Select(a => new NewEvidence(a.SkillId, s.Score.Score01, (double)a.Weight, observedAt, null,
            "item_response", attempt.Id, resultId, s.Item.Id))).ToList();
        var changes = await MasteryRecorder.RecordAsync(scope, attempt.LearnerId, evidence, ct, replayAll: revision > 1, before: [insert], after: after);
        await ProgressEngine.AfterResultAsync(scope, attempt.LearnerId, new AssessmentScore(attempt.AssessmentId, score), ct);
        return summary with { Mastery = changes };
    }

    /// <summary>The result's figures, before anything is written.</summary>
    public static GradedResult Summarize(AttemptRow attempt, List<(ItemVersionRow Item, ItemScore Score)> scored, AssessmentSettings settings, int revision, Guid resultId)
    {
        var points = scored.Sum(s => s.Score.Points);
        var maxPoints = scored.Sum(s => s.Score.MaxPoints);
        var score = maxPoints == 0 ? 0 : (double)(points / maxPoints);
        bool? passed = settings.PassScore is { } pass ? score >= pass : null;
        var items = scored.Select(s => new ItemResult(s.Item.Id, s.Score.Score01, s.Score.Points, s.Score.MaxPoints, s.Score.Correct)).ToList();
        return new GradedResult(attempt.Id, resultId, revision, score, points, maxPoints, passed, items, []);
    }

    /// <summary>What the learner is told, per the assessment's feedback setting (never the answer key).</summary>
    public static SubmissionResult Feedback(GradedResult r, AssessmentSettings settings) => settings.Feedback switch
    {
        "none" => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "none", null, null, null, null, null),
        "full" => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "full", r.Score, r.Points, r.MaxPoints, r.Passed, r.Items),
        _ => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, "score", r.Score, r.Points, r.MaxPoints, r.Passed, null),
    };
}

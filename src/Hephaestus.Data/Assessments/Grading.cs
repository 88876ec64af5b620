using System.Text.Json;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Assessments;
using Npgsql;

namespace Hephaestus.Data.Assessments;

/// <summary>A result revision of an attempt and its figures; the attempt's due date and whether it was submitted after it.</summary>
public sealed record GradedResult(Guid AttemptId, Guid ResultId, int Revision, ResultSummary Summary, DateTimeOffset? DueAt = null, bool Late = false);

/// <summary>Scoring an attempt on the server and recording the result; writing it is the learner record's.</summary>
internal static class Grading
{
    /// <summary>Scores every item of an attempt; an unanswered item (or one no longer answerable after a key fix) scores 0.</summary>
    public static List<(ItemVersionRow Item, ItemScore Score)> Score(IReadOnlyList<Guid> order, IReadOnlyDictionary<Guid, ItemVersionRow> items,
        IReadOnlyDictionary<Guid, JsonElement> responses)
    {
        var scores = new List<(ItemVersionRow, ItemScore)>(order.Count);
        foreach (var id in order)
        {
            var item = items[id];
            ItemScore score = new(0, 0, item.Definition.Points, false);
            if (responses.TryGetValue(id, out var json))
            {
                var (response, errors) = ItemResponseParser.Parse(item.Definition, json);
                if (response is not null && errors.Count == 0) score = ItemScorer.Score(item.Definition, response);
            }

            scores.Add((item, score));
        }

        return scores;
    }

    /// <summary>The result's figures, before anything is written.</summary>
    public static GradedResult Summarize(Attempt attempt, List<(ItemVersionRow Item, ItemScore Score)> scored, AssessmentSettings settings, int revision, Guid resultId) =>
        new(attempt.Id, resultId, revision, ResultSummary.Of(scored.Select(s => (s.Item.Id, s.Score)), settings.PassScore), attempt.DueAt, attempt.Late);

    /// <summary>Writes a result revision, its evidence, the mastery it moves and the progress that follows, in the caller's transaction.</summary>
    /// <param name="alongside">Commands that commit with the result, in its last round trip.</param>
    public static Task<LearningChanges> RecordAsync(LearnerRecord learning, ActorScope scope, Attempt attempt, GradedResult result,
        List<(ItemVersionRow Item, ItemScore Score)> scored, string reason, DateTimeOffset observedAt, CancellationToken ct,
        IReadOnlyList<NpgsqlBatchCommand>? alongside = null)
    {
        var items = scored.Select(s => new ItemEvidence(s.Item.Id, s.Score.Score01, [.. s.Item.Skills.Select(a => (a.SkillId, a.Weight))])).ToList();
        return learning.RecordResultAsync(scope, new ResultRevision(attempt.LearnerId, attempt.Id, attempt.AssessmentId, result.ResultId, result.Revision,
            result.Summary, reason, observedAt, items, result.DueAt), ct, alongside);
    }
}

using System.Text.Json;
using Hephaestus.Domain;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A rating of one criterion of a rubric: one of the criterion's rating points, with an optional comment.</summary>
public sealed record RatedCriterion(Guid CriterionId, decimal Points, string? Comment = null);

/// <summary>How scoring with a rubric ended; Invalid carries the fields at fault, keyed by JSON path.</summary>
public enum RubricScoringOutcome
{
    Recorded,
    LearnerNotFound,

    /// <summary>The actor teaches none of the learner's cohorts and is not an admin.</summary>
    Refused,
    Invalid,
}

public sealed record RubricScoring(RubricScoringOutcome Outcome, Guid Id = default, decimal Points = 0, decimal MaxPoints = 0,
    IReadOnlyList<MasteryChange>? Mastery = null, IReadOnlyList<ValidationError>? Errors = null);

/// <summary>
/// An educator scores a learner's work against a rubric: one rating per criterion. Criteria aligned to a skill become
/// evidence (points ÷ the criterion's top rating), and mastery follows in the same transaction.
/// </summary>
public sealed partial class LearnerRecord
{
    const string CriteriaOfRubric = "SELECT id, skill_id, ratings FROM hephaestus.rubric_criteria WHERE rubric_id = $1 ORDER BY position";

    sealed record Criterion(Guid Id, Guid? SkillId, decimal[] RatingPoints);

    public async Task<RubricScoring> ScoreWithRubricAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid rubricId, IReadOnlyList<RatedCriterion> ratings,
        string? subject, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(ratings);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return new RubricScoring(RubricScoringOutcome.LearnerNotFound);
        await using (var teach = scope.Command("SELECT hephaestus.can_teach_learner($1)"))
        {
            teach.Parameters.Add(SqlParameters.Uuid(learnerId));
            if (!(bool)(await teach.ExecuteScalarAsync(ct))!) return new RubricScoring(RubricScoringOutcome.Refused);
        }

        var criteria = new List<Criterion>();
        await using (var command = scope.Command(CriteriaOfRubric))
        {
            command.Parameters.Add(SqlParameters.Uuid(rubricId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                criteria.Add(new Criterion(reader.GetGuid(0), reader.GetNullableGuid(1),
                    reader.GetJson(2).EnumerateArray().Select(r => r.GetProperty("points").GetDecimal()).ToArray()));
            }
        }

        if (criteria.Count == 0) return new RubricScoring(RubricScoringOutcome.Invalid, Errors: [new ValidationError("rubricId", $"no rubric with id {rubricId}")]);
        var errors = new List<ValidationError>();
        var byId = criteria.ToDictionary(c => c.Id);
        for (var i = 0; i < ratings.Count; i++)
        {
            var rating = ratings[i];
            if (!byId.TryGetValue(rating.CriterionId, out var criterion)) errors.Add(new ValidationError($"ratings[{i}].criterionId", "is not a criterion of this rubric"));
            else if (!criterion.RatingPoints.Contains(rating.Points))
            {
                errors.Add(new ValidationError($"ratings[{i}].points", $"must be one of the criterion's ratings: {string.Join(", ", criterion.RatingPoints)}"));
            }

            if (rating.Comment is { Length: > 2000 }) errors.Add(new ValidationError($"ratings[{i}].comment", "must be at most 2000 characters"));
        }

        var rated = ratings.Select(r => r.CriterionId).ToList();
        if (rated.Distinct().Count() != rated.Count) errors.Add(new ValidationError("ratings", "rates a criterion more than once"));
        foreach (var missing in criteria.Where(c => !rated.Contains(c.Id))) errors.Add(new ValidationError("ratings", $"criterion {missing.Id} is not rated"));
        if (errors.Count > 0) return new RubricScoring(RubricScoringOutcome.Invalid, Errors: errors);

        var id = Guid.CreateVersion7();
        var points = ratings.Sum(r => r.Points);
        var maxPoints = criteria.Sum(c => c.RatingPoints.Max());
        var evidence = ratings
            .Select(r => (Rating: r, Criterion: byId[r.CriterionId]))
            .Where(x => x.Criterion.SkillId is not null)
            .Select(x => (x.Criterion.SkillId!.Value, (double)(x.Rating.Points / x.Criterion.RatingPoints.Max())))
            .ToList();
        var recorded = await RecordRubricRatingAsync(scope, new RubricRating(learnerId, id, rubricId, actor.UserId, subject,
            JsonSerializer.SerializeToElement(ratings, JsonSerializerOptions.Web), points, evidence, DateTimeOffset.UtcNow), ct);
        await scope.CommitAsync(ct);
        return new RubricScoring(RubricScoringOutcome.Recorded, id, points, maxPoints, recorded.Mastery);
    }
}

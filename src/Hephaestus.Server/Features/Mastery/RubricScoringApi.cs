using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Mastery;

public sealed record CriterionRating(Guid CriterionId, decimal Points, string? Comment = null);
public sealed record ScoreWithRubricRequest(Guid RubricId, IReadOnlyList<CriterionRating> Ratings, string? Subject = null);
public sealed record RubricAssessmentResponse(Guid Id, Guid LearnerId, Guid RubricId, decimal Points, decimal MaxPoints, IReadOnlyList<MasteryChange> Mastery);

/// <summary>
/// An educator scores a learner's work against a rubric: one rating per criterion. Criteria aligned to a skill become
/// evidence (points ÷ the criterion's top rating), and mastery follows in the same transaction.
/// </summary>
public static class RubricScoringApi
{
    public static IEndpointRouteBuilder MapRubricScoring(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/learners/{learnerId:guid}/rubric-assessments", Score)
            .WithTags("Mastery").WithName("ScoreWithRubric").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        return routes;
    }

    sealed record Criterion(Guid Id, Guid? SkillId, decimal[] RatingPoints);

    static async Task<Results<Created<RubricAssessmentResponse>, ValidationProblem, ProblemHttpResult>> Score(
        Guid learnerId, ScoreWithRubricRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var v = new Validation().Text("subject", request.Subject, 0, 500, required: false);
        if (request.Ratings is not { Count: > 0 }) return v.Add("ratings", "must rate every criterion of the rubric").ToProblem();
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await MasteryApi.LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        await using (var teach = scope.Command("SELECT hephaestus.can_teach_learner($1)"))
        {
            teach.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
            if (!(bool)(await teach.ExecuteScalarAsync(ct))!) return Problems.Forbidden("Only an educator of one of the learner's cohorts, or an admin, scores their work.");
        }

        var criteria = new List<Criterion>();
        await using (var command = scope.Command("SELECT id, skill_id, ratings::text FROM hephaestus.rubric_criteria WHERE rubric_id = $1 ORDER BY position"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = request.RubricId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                using var ratings = JsonDocument.Parse(reader.GetString(2));
                criteria.Add(new Criterion(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1),
                    ratings.RootElement.EnumerateArray().Select(r => r.GetProperty("points").GetDecimal()).ToArray()));
            }
        }

        if (criteria.Count == 0) return new Validation().Add("rubricId", $"no rubric with id {request.RubricId}").ToProblem();
        var byId = criteria.ToDictionary(c => c.Id);
        for (var i = 0; i < request.Ratings.Count; i++)
        {
            var rating = request.Ratings[i];
            if (!byId.TryGetValue(rating.CriterionId, out var criterion)) v.Add($"ratings[{i}].criterionId", "is not a criterion of this rubric");
            else if (!criterion.RatingPoints.Contains(rating.Points))
            {
                v.Add($"ratings[{i}].points", $"must be one of the criterion's ratings: {string.Join(", ", criterion.RatingPoints)}");
            }

            if (rating.Comment is { Length: > 2000 }) v.Add($"ratings[{i}].comment", "must be at most 2000 characters");
        }

        var rated = request.Ratings.Select(r => r.CriterionId).ToList();
        if (rated.Distinct().Count() != rated.Count) v.Add("ratings", "rates a criterion more than once");
        foreach (var missing in criteria.Where(c => !rated.Contains(c.Id))) v.Add("ratings", $"criterion {missing.Id} is not rated");
        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        var points = request.Ratings.Sum(r => r.Points);
        var maxPoints = criteria.Sum(c => c.RatingPoints.Max());
        var evidence = request.Ratings
            .Select(r => (Rating: r, Criterion: byId[r.CriterionId]))
            .Where(x => x.Criterion.SkillId is not null)
            .Select(x => (x.Criterion.SkillId!.Value, (double)(x.Rating.Points / x.Criterion.RatingPoints.Max())))
            .ToList();
        var recorded = await learning.RecordRubricRatingAsync(scope, new RubricRating(learnerId, id, request.RubricId, actor.UserId, request.Subject,
            JsonSerializer.SerializeToElement(request.Ratings, JsonSerializerOptions.Web), points, evidence, DateTimeOffset.UtcNow), ct);
        var changes = recorded.Mastery;
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/learners/{learnerId}/rubric-assessments/{id}",
            new RubricAssessmentResponse(id, learnerId, request.RubricId, points, maxPoints, changes));
    }
}

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
/// An educator scores a learner's work against a rubric: one rating per criterion
/// (<see cref="LearnerRecord.ScoreWithRubricAsync"/>). Who may depends on the learner (an educator of one of their
/// cohorts, or an admin), so it is the operation's check.
/// </summary>
public static class RubricScoringApi
{
    /// <summary>An assessor's comment on one criterion: a paragraph or two.</summary>
    public const int CommentLength = 2000;

    public static IEndpointRouteBuilder MapRubricScoring(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/learners/{learnerId:guid}/rubric-assessments", Score)
            .WithTags("Mastery").WithName("ScoreWithRubric").RequireAuthorization(Policies.Provisioned).LimitRowWrites()
                .WithSummary("Score a learner's work with a rubric")
                .WithDescription("Rates every criterion; criteria aligned to skills become evidence and update mastery and progress. Educators of the learner's cohort and admins.")
                .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Created<RubricAssessmentResponse>, ValidationProblem, ProblemHttpResult>> Score(
        Guid learnerId, ScoreWithRubricRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var v = new Validation().Text("subject", request.Subject, 0, 500, required: false);
        if (request.Ratings is not { Count: > 0 }) return v.Add("ratings", "must rate every criterion of the rubric").ToProblem();
        for (var i = 0; i < request.Ratings.Count; i++) v.Text($"ratings[{i}].comment", request.Ratings[i].Comment, 0, CommentLength, required: false);
        if (!v.IsValid) return v.ToProblem();

        var ratings = request.Ratings.Select(r => new RatedCriterion(r.CriterionId, r.Points, r.Comment)).ToList();
        var scored = await learning.ScoreWithRubricAsync(db, http.RequireActor(), learnerId, request.RubricId, ratings, request.Subject, ct);
        return scored.Outcome switch
        {
            RubricScoringOutcome.Recorded => TypedResults.Created($"/api/v1/learners/{learnerId}/rubric-assessments/{scored.Id}",
                new RubricAssessmentResponse(scored.Id, learnerId, request.RubricId, scored.Points, scored.MaxPoints, scored.Mastery!)),
            RubricScoringOutcome.Invalid => new Validation().AddRange(scored.Errors!).ToProblem(),
            RubricScoringOutcome.Refused => Problems.Forbidden("Only an educator of one of the learner's cohorts, or an admin, scores their work."),
            _ => Problems.NotFound("learner", learnerId),
        };
    }
}

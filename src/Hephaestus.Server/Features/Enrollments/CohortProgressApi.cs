using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// An educator's view of one path across a cohort (<see cref="CohortProgress"/>). Educators and admins only; a cohort the
/// educator does not teach is not found.
/// </summary>
public static class CohortProgressApi
{
    public static IEndpointRouteBuilder MapCohortProgress(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/cohorts/{cohortId:guid}/paths/{pathId:guid}/progress", Get)
            .WithTags("Enrollments").WithName("CohortPathProgress").RequireAuthorization(Policies.EducatorOrAdmin)
                .WithSummary("A cohort's progress in a path")
                .WithDescription("Each learner of the cohort with their enrollment's status and step counts. Educators of the cohort and admins.")
                .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Ok<CohortProgressResponse>, ProblemHttpResult>> Get(Guid cohortId, Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var progress = await CohortProgress.ReadAsync(db, http.RequireActor(), cohortId, pathId, ct);
        return progress is null
            ? Problems.NotFound("cohort you teach", cohortId)
            : TypedResults.Ok(new CohortProgressResponse(cohortId, pathId, progress.Learners, progress.LearnerProgress.Count, progress.LearnerProgress, progress.Steps));
    }
}

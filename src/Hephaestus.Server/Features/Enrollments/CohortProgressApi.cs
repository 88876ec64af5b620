using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// An educator's view of one path across a cohort: counts per learner and per step (<see cref="CohortProgress"/>), and
/// learner × step, paged (<see cref="CohortStepStatuses"/>, the web app's heat map). Educators and admins only; a cohort the
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
        routes.MapGet("/api/v1/cohorts/{cohortId:guid}/paths/{pathId:guid}/step-statuses", StepStatuses)
            .WithTags("Enrollments").WithName("CohortPathStepStatuses").RequireAuthorization(Policies.EducatorOrAdmin)
                .WithSummary("A cohort's step statuses in a path")
                .WithDescription("Learner × step: each enrolled learner of the cohort with their status and latest score on every step any of them has " +
                    "(the steps of their versions in path order, then steps inserted by educators); `status` is null where a learner's enrollment has no " +
                    "such step. The steps are the same on every page; learners are keyset paged by id (`after`, `limit`). Educators of the cohort and " +
                    "admins; a cohort the caller does not teach, or an unknown path, is 404.")
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

    static async Task<Results<Ok<CohortStepStatusesResponse>, ValidationProblem, ProblemHttpResult>> StepStatuses(
        Guid cohortId, Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        var read = await CohortStepStatuses.ReadAsync(db, http.RequireActor(), cohortId, pathId, after, size, ct);
        return read switch
        {
            { Grid: { } grid } => TypedResults.Ok(new CohortStepStatusesResponse(cohortId, pathId, grid.PathCode, grid.PathTitle, grid.Steps, grid.Learners.Items,
                grid.Learners.Next)),
            { Outcome: CohortGridOutcome.PathNotFound } => Problems.NotFound("learning path", pathId),
            _ => Problems.NotFound("cohort you teach", cohortId),
        };
    }
}

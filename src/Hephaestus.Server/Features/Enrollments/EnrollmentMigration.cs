using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// Moves the learners enrolled in older versions of a path to a newer published version, a batch per call
/// (<see cref="LearnerRecord.MigrateEnrollmentsAsync"/>, which `hephaestus paths migrate-enrollments` runs too). Admins only.
/// </summary>
public static class EnrollmentMigration
{
    public static IEndpointRouteBuilder MapEnrollmentMigration(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/paths/{pathId:guid}/versions/{versionId:guid}/migrate-enrollments", Migrate)
            .WithTags("Enrollments").WithName("MigrateEnrollments").RequireAuthorization(Policies.Admin)
                .WithSummary("Migrate enrollments to a version")
                .WithDescription("Moves up to `limit` enrollments of older versions to this published version, keeping progress where steps match, and says how many remain; call again to continue. Admins only.")
                .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        return routes;
    }

    /// <summary>Migrates up to <c>limit</c> enrollments (default 100) and says how many remain; call again to continue.</summary>
    static async Task<Results<Ok<MigrationResponse>, ProblemHttpResult>> Migrate(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct,
        MigrateEnrollmentsRequest? request = null)
    {
        var limit = request?.Limit ?? 100;
        if (limit is < 1 or > 10_000)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Invalid limit", detail: "limit must be between 1 and 10000.",
                extensions: new Dictionary<string, object?> { ["field"] = "limit" });
        }

        var run = await learning.MigrateEnrollmentsAsync(db, http.RequireActor(), pathId, versionId, limit, ct);
        return run switch
        {
            { Outcome: MigrationOutcome.Done, Batch: { } b } => TypedResults.Ok(new MigrationResponse(b.PathId, b.ToVersionId, b.ToVersion, b.Migrated, b.Remaining)),
            { Outcome: MigrationOutcome.NotPublished } => Problems.Conflict(run.Refusal!),
            _ => Problems.NotFound("path version", versionId),
        };
    }
}

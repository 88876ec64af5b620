using Hephaestus.Data.Assessments;
using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

public sealed record RegradeRequest(int FromVersion);
public sealed record RegradeResponse(Guid ItemId, int FromVersion, int ToVersion, int Learners, int Attempts);

/// <summary>
/// After an item's key is fixed (a new version), every submitted attempt that answered the old version is scored again
/// with the new one (<see cref="Regrading"/>). Only admins regrade learners' results.
/// </summary>
public static class RegradeApi
{
    public static IEndpointRouteBuilder MapRegrade(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/items/{itemId:guid}/regrade", Regrade).WithTags("Item bank").WithName("RegradeItem")
            .RequireAuthorization(Policies.Admin)
            .WithSummary("Regrade an item's answers")
            .WithDescription("Scores every submitted attempt that answered `fromVersion` again with the current version, updating results, evidence, mastery and progress. Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Ok<RegradeResponse>, ValidationProblem, ProblemHttpResult>> Regrade(
        Guid itemId, RegradeRequest request, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, CancellationToken ct)
    {
        var regrade = await Regrading.RegradeItemAsync(db, learning, http.RequireActor(), itemId, request.FromVersion, ct);
        return regrade.Outcome switch
        {
            RegradeOutcome.ItemNotFound => Problems.NotFound("item", itemId),
            RegradeOutcome.NoSuchVersion => new Validation().Add("fromVersion", $"the item has no version {request.FromVersion}").ToProblem(),
            RegradeOutcome.NotOlder => new Validation().Add("fromVersion", "must be older than the item's current version").ToProblem(),
            _ => TypedResults.Ok(new RegradeResponse(itemId, request.FromVersion, regrade.ToVersion, regrade.Learners, regrade.Attempts)),
        };
    }
}

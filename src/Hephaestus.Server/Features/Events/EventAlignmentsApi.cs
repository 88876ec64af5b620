using Hephaestus.Data;
using Hephaestus.Data.Events;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Events;

/// <summary>An activity to align: its id (an xAPI activity IRI or a native event's object id) and a skill (with a weight) or an item.</summary>
public sealed record AlignmentRequest(string? ActivityId, Guid? SkillId = null, Guid? ItemId = null, decimal? Weight = null);

/// <summary>
/// `/api/v1/events/alignments`: which activities are evidence of which skills or items (issue 11, part 5). Authors and
/// admins write; anyone signed in reads. An alignment is replaced (deleted and created), never edited, so it takes no
/// If-Match; evidence already recorded under it stays.
/// </summary>
public static class EventAlignmentsApi
{
    const int ActivityIdLength = 2048;

    public static IEndpointRouteBuilder MapEventAlignments(this IEndpointRouteBuilder routes)
    {
        var alignments = routes.MapGroup("/api/v1/events/alignments").WithTags("Event alignments").RequireAuthorization(Policies.Provisioned);
        alignments.MapPost("", Create).WithName("CreateEventAlignment").RequireAuthorization(Policies.Author)
            .WithSummary("Align an activity to a skill or an item")
            .WithDescription("Body {activityId, skillId | itemId, weight}: a stored event on this activity (xAPI object id, or a native "
                + "event's objectId) whose result has a score becomes evidence of the skill (with the weight, 0 < weight <= 1, default 1) "
                + "or of the item's current version's skills (with their weights). Exactly one of skillId and itemId. 409 when the "
                + "activity is already aligned to it.")
            .Produces<ActivityAlignment>(StatusCodes.Status201Created)
            .ProducesProblems(400, 403, 409);
        alignments.MapGet("", List).WithName("ListEventAlignments")
            .WithSummary("Activity alignments")
            .WithDescription("Alignments in creation order, a keyset page (after, limit), optionally of one activityId, skillId or itemId.")
            .Produces<Page<ActivityAlignment>>()
            .ProducesProblems(400);
        alignments.MapGet("/{id:guid}", Get).WithName("GetEventAlignment")
            .WithSummary("One activity alignment")
            .WithDescription("The alignment with this id.")
            .Produces<ActivityAlignment>()
            .ProducesProblems(404);
        alignments.MapDelete("/{id:guid}", Delete).WithName("DeleteEventAlignment").RequireAuthorization(Policies.Author)
            .WithSummary("Remove an activity alignment")
            .WithDescription("Later events on the activity no longer make evidence of it; evidence already recorded stays.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(403, 404);
        return routes;
    }

    static async Task<Results<Created<ActivityAlignment>, ValidationProblem, ProblemHttpResult>> Create(AlignmentRequest request, HttpContext http,
        NpgsqlDataSource db, ActivityAlignments alignments, CancellationToken ct)
    {
        var v = new Validation().Text("activityId", request.ActivityId, 1, ActivityIdLength);
        if ((request.SkillId is null) == (request.ItemId is null)) v.Add("", "name exactly one of skillId and itemId");
        if (request.Weight is { } w && (w <= 0 || w > 1 || decimal.Round(w, 4) != w)) v.Add("weight", "must be above 0 and at most 1, with at most 4 decimals");
        if (request.ItemId is not null && request.Weight is not null) v.Add("weight", "an item's skills carry their own weights; leave weight out");
        if (!v.IsValid) return v.ToProblem();
        var (outcome, created) = await alignments.CreateAsync(db, http.RequireActor(), request.ActivityId!, request.SkillId, request.ItemId, request.Weight ?? 1, ct);
        return outcome switch
        {
            AlignmentOutcome.Created => TypedResults.Created($"/api/v1/events/alignments/{created!.Id}", created),
            AlignmentOutcome.UnknownTarget => new Validation().Add(request.SkillId is null ? "itemId" : "skillId",
                request.SkillId is null ? "no item has this id" : "no skill has this id").ToProblem(),
            _ => Problems.Conflict($"Activity '{request.ActivityId}' is already aligned to this {(request.SkillId is null ? "item" : "skill")}."),
        };
    }

    static async Task<Results<Ok<Page<ActivityAlignment>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? activityId = null, Guid? skillId = null, Guid? itemId = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation().Text("activityId", activityId, 1, ActivityIdLength, required: false);
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        return TypedResults.Ok(await ActivityAlignments.ListAsync(db, http.RequireActor(), activityId, skillId, itemId, after, size, ct));
    }

    static async Task<Results<Ok<ActivityAlignment>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        await ActivityAlignments.FindAsync(db, http.RequireActor(), id, ct) is { } found ? TypedResults.Ok(found) : Problems.NotFound("event alignment", id);

    static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, HttpContext http, NpgsqlDataSource db, ActivityAlignments alignments, CancellationToken ct) =>
        await alignments.DeleteAsync(db, http.RequireActor(), id, ct) == AlignmentOutcome.Deleted ? TypedResults.NoContent() : Problems.NotFound("event alignment", id);
}

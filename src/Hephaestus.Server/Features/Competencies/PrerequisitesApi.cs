using Hephaestus.Data;
using Hephaestus.Data.Competencies;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// The skill prerequisite DAG, across frameworks (<see cref="PrerequisiteStore"/>): an edge that would close a cycle is
/// a 409 naming the cycle by skill codes.
/// </summary>
internal static class PrerequisitesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var skills = api.MapGroup("/skills").WithTags("Competencies");
        skills.MapPut("/{skillId:guid}/prerequisites/{prerequisiteId:guid}", Add).WithName("AddSkillPrerequisite").RequireAuthorization(Policies.Author)
            .WithSummary("Add a prerequisite to a skill")
            .WithDescription("The skill requires the prerequisite skill (any framework). Idempotent: 201 when new, 200 when it existed. An edge closing a cycle is 409 naming the cycle. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        skills.MapDelete("/{skillId:guid}/prerequisites/{prerequisiteId:guid}", Remove).WithName("RemoveSkillPrerequisite").RequireAuthorization(Policies.Author)
            .WithSummary("Remove a prerequisite from a skill")
            .WithDescription("Removes the edge. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        skills.MapGet("/{skillId:guid}/prerequisites", Prerequisites).WithName("GetSkillPrerequisites")
            .WithSummary("A skill's prerequisites")
            .WithDescription("The skills this skill requires: direct ones, or with `transitive=true` all of them. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        skills.MapGet("/{skillId:guid}/dependents", Dependents).WithName("GetSkillDependents")
            .WithSummary("A skill's dependents")
            .WithDescription("The skills that require this skill: direct ones, or with `transitive=true` all of them. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound);
    }

    /// <summary>Idempotent: 201 when the edge is new, 200 when it already existed.</summary>
    static async Task<Results<Created<PrerequisiteEdge>, Ok<PrerequisiteEdge>, ProblemHttpResult>> Add(
        Guid skillId, Guid prerequisiteId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var codes = await SkillStore.CodesAsync(scope, [skillId, prerequisiteId], ct);
        if (!codes.ContainsKey(skillId)) return Problems.NotFound("skill", skillId);
        if (!codes.ContainsKey(prerequisiteId)) return Problems.NotFound("skill", prerequisiteId);
        if (skillId == prerequisiteId) return Cycle(new SkillCycle([codes[skillId], codes[skillId]], [skillId, skillId]));

        var added = await PrerequisiteStore.AddAsync(scope, skillId, prerequisiteId, ct);
        if (added.Cycle is { } cycle) return Cycle(cycle);
        await scope.CommitAsync(ct);
        return added.Created
            ? TypedResults.Created($"/api/v1/skills/{skillId}/prerequisites/{prerequisiteId}", added.Edge!)
            : TypedResults.Ok(added.Edge!);
    }

    /// <summary>The cycle reads in the direction of "requires": A → C means A requires C.</summary>
    static ProblemHttpResult Cycle(SkillCycle cycle) => Problems.Conflict(
        $"The prerequisite would close a cycle: {string.Join(" → ", cycle.Codes)}.",
        new Dictionary<string, object?> { ["cycle"] = cycle.Codes, ["cycleIds"] = cycle.Ids });

    static async Task<Results<NoContent, ProblemHttpResult>> Remove(Guid skillId, Guid prerequisiteId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await PrerequisiteStore.RemoveAsync(scope, skillId, prerequisiteId, ct))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"Skill {skillId} has no prerequisite {prerequisiteId}.");
        }

        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    static Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> Prerequisites(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive = false) =>
        WalkAsync(skillId, http, db, ct, transitive, PrerequisiteDirection.Prerequisites);

    static Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> Dependents(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive = false) =>
        WalkAsync(skillId, http, db, ct, transitive, PrerequisiteDirection.Dependents);

    static async Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> WalkAsync(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive, PrerequisiteDirection direction)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await SkillStore.ExistsAsync(scope, skillId, ct)) return Problems.NotFound("skill", skillId);
        return TypedResults.Ok(await PrerequisiteStore.WalkAsync(scope, skillId, direction, transitive, ct));
    }
}

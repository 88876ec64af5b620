using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Competencies;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Skills: nodes of a framework's tree, with free attributes (JSONB, GIN-indexed) and an optional mastery method.</summary>
internal static class SkillsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/frameworks/{frameworkId:guid}/skills", Create).WithTags("Competencies").WithName("CreateSkill").RequireAuthorization(Policies.Author)
            .WithSummary("Create a skill")
            .WithDescription("A skill in the framework, under `parentId` (a skill of the same framework) or as a root, with free attributes and an optional mastery method. Authors and admins. 409 when the framework already has the code.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .ReturnsETag();
        var skills = api.MapGroup("/skills").WithTags("Competencies");
        skills.MapGet("/", Search).WithName("SearchSkills")
            .WithSummary("Search skills")
            .WithDescription("Skills whose attributes contain the JSON object `attributes`, optionally in one `framework`, optionally whose code, title or description contains `q` (ignoring case); keyset paged by `after` and `limit` in id order.");
        skills.MapGet("/{skillId:guid}", Get).WithName("GetSkill")
            .WithSummary("Read a skill")
            .WithDescription("A skill with its attributes and mastery method. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        skills.MapPatch("/{skillId:guid}", Patch).WithName("PatchSkill").RequireAuthorization(Policies.Author)
            .WithSummary("Update a skill")
            .WithDescription("Changes the given fields; parameters are validated against the method they will run under. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: true);
        skills.MapPost("/{skillId:guid}/move", Move).WithName("MoveSkill").RequireAuthorization(Policies.Author)
            .WithSummary("Move a skill")
            .WithDescription("Moves the skill and its subtree under another parent of the same framework (null: a root) at a position; under its own subtree is 409. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        skills.MapDelete("/{skillId:guid}", Delete).WithName("DeleteSkill").RequireAuthorization(Policies.Author)
            .WithSummary("Delete a skill")
            .WithDescription("Deletes the skill and its subtree unless something refers to one of them (409 naming what). Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    static void Attributes(Validation v, JsonElement? attributes)
    {
        if (attributes is { ValueKind: not JsonValueKind.Object }) v.Add("attributes", "must be a JSON object");
    }

    /// <summary>The parent must be a skill of the same framework; parameters are validated against the method they will run under.</summary>
    static async Task<Results<Created<SkillResponse>, ValidationProblem, ProblemHttpResult>> Create(
        Guid frameworkId, CreateSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200).Text("description", request.Description, 0, Validation.DescriptionLength, required: false);
        CompetencyValidation.Code(v, "code", request.Code);
        Attributes(v, request.Attributes);

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await SkillStore.FrameworkMethodAsync(scope, frameworkId, ct) is not { } frameworkMethod) return Problems.NotFound("competency framework", frameworkId);
        CompetencyValidation.Method(v, request.MasteryMethod, request.MasteryParameters, frameworkMethod);
        if (request.ParentId is { } parentId && !await SkillStore.InFrameworkAsync(scope, parentId, frameworkId, ct))
        {
            v.Add("parentId", $"no skill with id {parentId} in this framework");
        }

        if (!v.IsValid) return v.ToProblem();
        var id = Guid.CreateVersion7();
        var fields = new SkillFields(request.Title, request.Description, request.Attributes, request.Position, request.MasteryMethod, request.MasteryParameters);
        if (!await SkillStore.CreateAsync(scope, id, frameworkId, request.ParentId, request.Code, fields, ct))
        {
            return Problems.Conflict($"This framework already has a skill with code '{request.Code}'.", new Dictionary<string, object?> { ["field"] = "code" });
        }

        await ETags.SetAsync(http.Response, scope, VersionedTable.Skills, id, ct);
        var skill = await SkillStore.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/skills/{id}", skill!);
    }

    static async Task<Results<Ok<SkillResponse>, ProblemHttpResult>> Get(Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.Skills, skillId, ct);
        var skill = await SkillStore.ReadAsync(scope, skillId, ct);
        return skill is null ? Problems.NotFound("skill", skillId) : TypedResults.Ok(skill);
    }

    /// <summary>
    /// Skills whose attributes contain the given JSON object, optionally within one framework, optionally whose code, title
    /// or description contains <c>q</c> (ignoring case); keyset-paged by id (<see cref="SkillStore.SearchAsync"/>).
    /// </summary>
    static async Task<Results<Ok<Page<SkillRef>>, ValidationProblem>> Search(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, string? attributes = null, Guid? framework = null, string? q = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation().Text("q", q, 1, 200, required: false);
        var size = v.PageSize(limit);
        string? filter = null;
        if (attributes is not null)
        {
            try
            {
                using var parsed = JsonDocument.Parse(attributes);
                if (parsed.RootElement.ValueKind != JsonValueKind.Object) v.Add("attributes", "must be a JSON object, e.g. {\"grade\":7}");
                filter = attributes;
            }
            catch (JsonException)
            {
                v.Add("attributes", "is not valid JSON; send a URL-encoded JSON object, e.g. {\"grade\":7}");
            }
        }

        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await SkillStore.SearchAsync(scope, filter, framework, after, size, ct, q));
    }

    static async Task<Results<Ok<SkillResponse>, ValidationProblem, ProblemHttpResult>> Patch(
        Guid skillId, PatchSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200, required: false)
            .Text("description", request.Description, 0, Validation.DescriptionLength, required: false);
        Attributes(v, request.Attributes);

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await RowVersions.LockAsync(scope, VersionedTable.Skills, skillId, ct) is not { } version) return Problems.NotFound("skill", skillId);
        if (await SkillStore.LockEffectiveMethodAsync(scope, skillId, ct) is not { } effectiveMethod) return Problems.NotFound("skill", skillId);
        CompetencyValidation.Method(v, request.MasteryMethod, request.MasteryParameters, effectiveMethod);
        if (!v.IsValid) return v.ToProblem();
        if (ETags.Precondition(http.Request, "skill", version) is { } refused) return refused;

        var fields = new SkillFields(request.Title, request.Description, request.Attributes, request.Position, request.MasteryMethod, request.MasteryParameters);
        await SkillStore.UpdateAsync(scope, skillId, fields, ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.Skills, skillId, ct);
        var skill = await SkillStore.ReadAsync(scope, skillId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(skill!);
    }

    /// <summary>Moves a skill and its whole subtree; moving under its own descendant is a 409 naming both skills.</summary>
    static async Task<Results<Ok<SkillResponse>, ValidationProblem, ProblemHttpResult>> Move(
        Guid skillId, MoveSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await RowVersions.LockAsync(scope, VersionedTable.Skills, skillId, ct) is not { } version) return Problems.NotFound("skill", skillId);
        if (await SkillStore.FrameworkOfAsync(scope, skillId, ct) is not { } frameworkId) return Problems.NotFound("skill", skillId);
        if (request.ParentId is { } parentId && !await SkillStore.InFrameworkAsync(scope, parentId, frameworkId, ct))
        {
            return new Validation().Add("parentId", $"no skill with id {parentId} in this skill's framework").ToProblem();
        }

        if (ETags.Precondition(http.Request, "skill", version) is { } refused) return refused;

        if (await SkillStore.MoveAsync(scope, skillId, frameworkId, request.ParentId, request.Position, ct) is { } cycle)
        {
            var (skill, parent) = (cycle.Codes[0], cycle.Codes[1]);
            return Problems.Conflict(skillId == request.ParentId
                    ? $"Skill '{skill}' cannot be its own parent."
                    : $"Skill '{skill}' cannot move under '{parent}', which is in its own subtree.",
                new Dictionary<string, object?> { ["field"] = "parentId", ["cycle"] = new[] { skill, parent } });
        }

        await ETags.SetAsync(http.Response, scope, VersionedTable.Skills, skillId, ct);
        var moved = await SkillStore.ReadAsync(scope, skillId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(moved!);
    }

    /// <summary>Deletes a skill and its subtree, unless something refers to one of them (409 naming what).</summary>
    static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var (outcome, references) = await SkillStore.DeleteAsync(scope, skillId, ct);
        switch (outcome)
        {
            case SkillDeletion.NotFound:
                return Problems.NotFound("skill", skillId);
            case SkillDeletion.Referenced:
                return Problems.Conflict($"The skill (or a skill under it) is referred to by {string.Join(", ", references)}; it cannot be deleted.",
                    new Dictionary<string, object?> { ["references"] = references });
            case SkillDeletion.ReferencedSinceCheck:
                return Problems.Conflict($"The skill is still referred to ({references[0]}); it cannot be deleted.",
                    new Dictionary<string, object?> { ["references"] = references });
        }

        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}

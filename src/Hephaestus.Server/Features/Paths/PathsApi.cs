using Hephaestus.Data;
using Hephaestus.Data.Paths;
using Hephaestus.Domain;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Paths;

/// <summary>
/// Authoring learning paths: a path has versions; a draft is edited (its steps replaced as a whole); publishing
/// freezes it (the database refuses any later change); retiring stops new enrollments. Authors and admins write;
/// anyone signed in reads.
/// </summary>
public static class PathsApi
{
    public static IEndpointRouteBuilder MapPaths(this IEndpointRouteBuilder routes)
    {
        var paths = routes.MapGroup("/api/v1/paths").WithTags("Learning paths").RequireAuthorization(Policies.Provisioned);
        paths.MapPost("/", Create).WithName("CreatePath").RequireAuthorization(Policies.Author)
            .WithSummary("Create a learning path")
            .WithDescription("A path with its first draft version (no steps yet). Authors and admins. 409 when the code is taken.")
            .ProducesProblems(StatusCodes.Status409Conflict);
        paths.MapGet("/", List).WithName("ListPaths")
            .WithSummary("List learning paths")
            .WithDescription("Learning paths with their current published version, keyset paged. Any provisioned user.");
        paths.MapGet("/{pathId:guid}", Get).WithName("GetPath")
            .WithSummary("Read a learning path")
            .WithDescription("A path with its versions. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        paths.MapPost("/{pathId:guid}/versions", NewDraft).WithName("CreatePathDraft").RequireAuthorization(Policies.Author)
            .WithSummary("Create a draft version of a path")
            .WithDescription("A new draft copying the newest version's steps; a path has at most one draft (409). Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        paths.MapGet("/{pathId:guid}/versions/{versionId:guid}", GetVersion).WithName("GetPathVersion")
            .WithSummary("Read a path version")
            .WithDescription("A version with its steps, their prerequisites and unlock rules.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        paths.MapPut("/{pathId:guid}/versions/{versionId:guid}/steps", PutSteps).WithName("PutPathSteps").RequireAuthorization(Policies.Author)
            .WithSummary("Replace a draft's steps")
            .WithDescription("The whole step list of a draft: keys, kinds (skill, assessment, content) and what they refer to, prerequisites and unlock rules (a tree of all/any/mastery/score/completed). Every reference is checked; a published version never changes (409), nor may steps form a cycle (409). Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        paths.MapPost("/{pathId:guid}/versions/{versionId:guid}/publish", Publish).WithName("PublishPathVersion").RequireAuthorization(Policies.Author)
            .WithSummary("Publish a draft version")
            .WithDescription("Makes the draft the version new enrollments get; refused (409) without steps or when a step refers to something that no longer exists. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        paths.MapPost("/{pathId:guid}/versions/{versionId:guid}/retire", Retire).WithName("RetirePathVersion").RequireAuthorization(Policies.Author)
            .WithSummary("Retire a published version")
            .WithDescription("No new enrollments on it; existing ones keep it until migrated. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        paths.MapDelete("/{pathId:guid}/versions/{versionId:guid}", DeleteDraft).WithName("DeletePathDraft").RequireAuthorization(Policies.Author)
            .WithSummary("Delete a draft version")
            .WithDescription("Only a draft can be deleted (409 otherwise). Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return routes;
    }

    static async Task<Results<Created<PathResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreatePathRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200).Text("code", request.Code, 1, 64)
            .Text("description", request.Description, 0, Validation.DescriptionLength, required: false);
        if (request.Code is not null && !CatalogCode.Shape().IsMatch(request.Code)) v.Add("code", "must be letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (!v.IsValid) return v.ToProblem();

        var pathId = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await PathStore.CreateAsync(scope, pathId, request.Code!, request.Title, request.Description, ct))
        {
            return Problems.Conflict($"A learning path with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" });
        }

        var path = await PathStore.ReadAsync(scope, pathId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/paths/{pathId}", path!);
    }

    static async Task<Results<Ok<Page<PathResponse>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var page = await PathStore.ListAsync(scope, after, size, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(page);
    }

    static async Task<Results<Ok<PathResponse>, ProblemHttpResult>> Get(Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var path = await PathStore.ReadAsync(scope, pathId, ct);
        return path is null ? Problems.NotFound("learning path", pathId) : TypedResults.Ok(path);
    }

    /// <summary>A new draft starts as a copy of the newest version, so an author edits the next version, not a blank one.</summary>
    static async Task<Results<Created<PathVersionResponse>, ProblemHttpResult>> NewDraft(Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var (outcome, draftId) = await PathStore.CreateDraftAsync(scope, pathId, ct);
        switch (outcome)
        {
            case DraftCreation.PathNotFound:
                return Problems.NotFound("learning path", pathId);
            case DraftCreation.DraftExists:
                return Problems.Conflict("This path already has a draft version; edit it or delete it first.");
        }

        await ETags.SetAsync(http.Response, scope, VersionedTable.PathVersions, draftId, ct);
        var version = await PathStore.ReadVersionAsync(scope, pathId, draftId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/paths/{pathId}/versions/{draftId}", version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> GetVersion(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.PathVersions, versionId, ct);
        var version = await PathStore.ReadVersionAsync(scope, pathId, versionId, ct);
        return version is null ? Problems.NotFound("path version", versionId) : TypedResults.Ok(version);
    }

    /// <summary>
    /// Replaces every step of a draft in one transaction: validated as a whole (keys, references, rules, prerequisites),
    /// then written; a cycle among prerequisites is refused by the database and named by step keys.
    /// </summary>
    static async Task<Results<Ok<PathVersionResponse>, ValidationProblem, ProblemHttpResult>> PutSteps(
        Guid pathId, Guid versionId, PutStepsRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = StepValidation.Shape(request);
        if (request.Steps is null) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var status = await PathStore.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != PathVersionStatus.Draft)
        {
            return Problems.Conflict($"Version {versionId} is {status.Value.ToWireName()}; a published version never changes. Create a new draft.");
        }

        // References are checked even when the shape has errors, so one response lists every problem.
        await StepValidation.ReferencesAsync(scope, request, v, ct);
        if (!v.IsValid) return v.ToProblem();

        // The row is locked (above), so its version is the latest and stays so until this transaction ends.
        if (ETags.Precondition(http.Request, "path version", (await RowVersions.ReadAsync(scope, VersionedTable.PathVersions, versionId, ct))!.Value) is { } refused)
        {
            return refused;
        }

        if (await PathStore.ReplaceStepsAsync(scope, versionId, request.Steps.Select(StepValidation.ToNewStep).ToList(), ct) is { } cycle)
        {
            return Problems.Conflict($"The step prerequisites form a cycle: {string.Join(" → ", cycle)}.",
                new Dictionary<string, object?> { ["cycle"] = cycle });
        }

        await RowVersions.TouchAsync(scope, VersionedTable.PathVersions, versionId, ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.PathVersions, versionId, ct);
        var version = await PathStore.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> Publish(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var status = await PathStore.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != PathVersionStatus.Draft) return Problems.Conflict($"Version {versionId} is already {status.Value.ToWireName()}.");
        var version = await PathStore.ReadVersionAsync(scope, pathId, versionId, ct);
        if (version!.Steps.Count == 0) return Problems.Conflict("A version without steps cannot be published.");
        // Checked when the steps were saved, and held by foreign keys; looked at again because a target skill (an array,
        // no foreign key) can go between the save and now, and a published version can never be fixed.
        var dangling = await PathStore.DanglingReferencesAsync(scope, versionId, ct);
        if (dangling.Count > 0)
        {
            return Problems.Conflict("Steps refer to things that do not exist: " + string.Join("; ", dangling.Select(d => $"step {d.Key}: {d.Problem}")) + ".",
                new Dictionary<string, object?> { ["steps"] = dangling.Select(d => new { pointer = $"/steps/{d.Position}", key = d.Key, problem = d.Problem }).ToList() });
        }

        await PathStore.PublishAsync(scope, versionId, ct);
        version = await PathStore.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> Retire(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var status = await PathStore.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != PathVersionStatus.Published)
        {
            return Problems.Conflict($"Only a published version can be retired; version {versionId} is {status.Value.ToWireName()}.");
        }

        await PathStore.RetireAsync(scope, versionId, ct);
        var version = await PathStore.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteDraft(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var status = await PathStore.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != PathVersionStatus.Draft) return Problems.Conflict($"Version {versionId} is {status.Value.ToWireName()}; only a draft can be deleted.");
        await PathStore.DeleteVersionAsync(scope, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}

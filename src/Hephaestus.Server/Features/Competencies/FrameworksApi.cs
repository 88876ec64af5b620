using Hephaestus.Data;
using Hephaestus.Data.Competencies;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Competency frameworks: a mastery scale, a default mastery method, and a tree of skills.</summary>
internal static class FrameworksApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var frameworks = api.MapGroup("/frameworks").WithTags("Competencies");
        frameworks.MapPost("/", Create).WithName("CreateFramework").RequireAuthorization(Policies.Author)
            .WithSummary("Create a competency framework")
            .WithDescription("A framework with a mastery scale (the default scale when left out), a default mastery method and its parameters. Authors and admins. 409 when the code is taken.")
            .ProducesProblems(StatusCodes.Status409Conflict)
            .ReturnsETag();
        frameworks.MapGet("/", List).WithName("ListFrameworks")
            .WithSummary("List competency frameworks")
            .WithDescription("Frameworks with their skill counts, keyset paged by `after` and `limit`. Any provisioned user.");
        frameworks.MapGet("/{frameworkId:guid}", Get).WithName("GetFramework")
            .WithSummary("Read a competency framework")
            .WithDescription("A framework with its tree of skills. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        frameworks.MapPatch("/{frameworkId:guid}", Patch).WithName("PatchFramework").RequireAuthorization(Policies.Author)
            .WithSummary("Update a competency framework")
            .WithDescription("Changes title, description, scale, method or parameters; another scale re-classifies recorded mastery in the same transaction. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: true);
        frameworks.MapGet("/{frameworkId:guid}/topological-order", TopologicalOrder).WithName("GetFrameworkTopologicalOrder")
            .WithSummary("Skills in prerequisite order")
            .WithDescription("The framework's skills and, transitively, their prerequisites from any framework (marked external), every prerequisite before the skills that need it.")
            .ProducesProblems(StatusCodes.Status404NotFound);
    }

    static async Task<Results<Created<FrameworkResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateFrameworkRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200).Text("description", request.Description, 0, Validation.DescriptionLength, required: false);
        CompetencyValidation.Code(v, "code", request.Code);
        CompetencyValidation.Method(v, request.MasteryMethod, request.MasteryParameters);

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var scaleId = request.ScaleId ?? FrameworkStore.DefaultScaleId;
        if (!await ScaleStore.ExistsAsync(scope, scaleId, ct)) v.Add("scaleId", $"no mastery scale with id {scaleId}");
        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        var fields = new FrameworkFields(request.Title, request.Description, scaleId, request.MasteryMethod, request.MasteryParameters);
        if (!await FrameworkStore.CreateAsync(scope, id, request.Code, fields, ct))
        {
            return Problems.Conflict($"A competency framework with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" });
        }

        await ETags.SetAsync(http.Response, scope, VersionedTable.Frameworks, id, ct);
        var framework = await FrameworkStore.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/frameworks/{id}", framework!);
    }

    static async Task<Results<Ok<Page<FrameworkSummary>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await FrameworkStore.ListAsync(scope, after, size, ct));
    }

    static async Task<Results<Ok<FrameworkResponse>, ProblemHttpResult>> Get(Guid frameworkId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.Frameworks, frameworkId, ct);
        var framework = await FrameworkStore.ReadAsync(scope, frameworkId, ct);
        return framework is null ? Problems.NotFound("competency framework", frameworkId) : TypedResults.Ok(framework);
    }

    /// <summary>
    /// Changes title, description, scale, method or parameters; another scale re-classifies recorded mastery in the same
    /// transaction (see <see cref="FrameworkStore.UpdateAsync"/>).
    /// </summary>
    static async Task<Results<Ok<FrameworkResponse>, ValidationProblem, ProblemHttpResult>> Patch(
        Guid frameworkId, PatchFrameworkRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200, required: false)
            .Text("description", request.Description, 0, Validation.DescriptionLength, required: false);
        CompetencyValidation.Method(v, request.MasteryMethod, request.MasteryParameters);

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await RowVersions.LockAsync(scope, VersionedTable.Frameworks, frameworkId, ct) is not { } version) return Problems.NotFound("competency framework", frameworkId);
        if (await FrameworkStore.LockAsync(scope, frameworkId, ct) is not { } currentScale) return Problems.NotFound("competency framework", frameworkId);
        if (request.ScaleId is { } scaleId && !await ScaleStore.ExistsAsync(scope, scaleId, ct)) v.Add("scaleId", $"no mastery scale with id {scaleId}");
        if (!v.IsValid) return v.ToProblem();
        if (ETags.Precondition(http.Request, "competency framework", version) is { } refused) return refused;

        var fields = new FrameworkFields(request.Title, request.Description, request.ScaleId, request.MasteryMethod, request.MasteryParameters);
        await FrameworkStore.UpdateAsync(scope, frameworkId, currentScale, fields, ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.Frameworks, frameworkId, ct);
        var framework = await FrameworkStore.ReadAsync(scope, frameworkId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(framework!);
    }

    /// <summary>
    /// The framework's skills and, transitively, their prerequisites from any framework (marked external), in an order
    /// where every prerequisite comes first.
    /// </summary>
    static async Task<Results<Ok<IReadOnlyList<OrderedSkill>>, ProblemHttpResult>> TopologicalOrder(
        Guid frameworkId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await FrameworkStore.ExistsAsync(scope, frameworkId, ct)) return Problems.NotFound("competency framework", frameworkId);
        return TypedResults.Ok(await FrameworkStore.TopologicalOrderAsync(scope, frameworkId, ct));
    }
}

using System.Text.RegularExpressions;
using Hephaestus.Data;
using Hephaestus.Data.Competencies;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// Mastery scales: ordered levels with thresholds, exactly one of them "mastery". A scale in use (recorded mastery or
/// evidence refers to it) keeps its levels; a new version is made instead. The database enforces both rules too.
/// </summary>
internal static partial class MasteryScalesApi
{
    public const int MaxLevels = 20;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex LevelNameShape();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorShape();

    public static void Map(RouteGroupBuilder api)
    {
        var scales = api.MapGroup("/mastery-scales").WithTags("Competencies");
        scales.MapPost("/", Create).WithName("CreateMasteryScale").RequireAuthorization(Policies.Author)
            .WithSummary("Create a mastery scale")
            .WithDescription("Ordered levels with thresholds from lowest to highest, exactly one of them the mastery level. Authors and admins.")
            .ReturnsETag();
        scales.MapGet("/", List).WithName("ListMasteryScales")
            .WithSummary("List mastery scales")
            .WithDescription("Mastery scales with their levels, keyset paged by `after` and `limit`. Any provisioned user.");
        scales.MapGet("/{scaleId:guid}", Get).WithName("GetMasteryScale")
            .WithSummary("Read a mastery scale")
            .WithDescription("A mastery scale with its levels. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        scales.MapPut("/{scaleId:guid}", Replace).WithName("ReplaceMasteryScale").RequireAuthorization(Policies.Author)
            .WithSummary("Replace a mastery scale")
            .WithDescription("Replaces the name and levels. A scale in use (mastery or evidence recorded against it) keeps its levels: 409, make a new version instead. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        scales.MapPost("/{scaleId:guid}/versions", NewVersion).WithName("CreateMasteryScaleVersion").RequireAuthorization(Policies.Author)
            .WithSummary("Create the next version of a mastery scale")
            .WithDescription("A new scale (its own id) in the same family, numbered one past the newest; frameworks keep the version they point to. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
    }

    static Validation Check(MasteryScaleRequest request)
    {
        var v = new Validation().Text("name", request.Name, 1, 200);
        if (request.Levels is null) return v.Add("levels", "is required");
        if (request.Levels.Count < 2) v.Add("levels", "must have at least 2 levels");
        if (request.Levels.Count > MaxLevels) v.Add("levels", $"must have at most {MaxLevels} levels");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Levels.Count; i++)
        {
            var level = request.Levels[i];
            var at = $"levels[{i}]";
            if (level.Name is null || !LevelNameShape().IsMatch(level.Name)) v.Add($"{at}.name", "must be 1–40 of a-z, 0-9 or '_', starting with a letter");
            else if (!names.Add(level.Name)) v.Add($"{at}.name", $"'{level.Name}' is used by an earlier level");
            if (level.Threshold is < 0 or > 1) v.Add($"{at}.threshold", "must be between 0 and 1");
            else if (decimal.Round(level.Threshold, 4) != level.Threshold) v.Add($"{at}.threshold", "must have at most 4 decimal places");
            else if (i > 0 && level.Threshold <= request.Levels[i - 1].Threshold) v.Add($"{at}.threshold", "must be greater than the previous level's threshold (levels are listed from lowest to highest)");
            if (level.Points is { } points && (points < 0 || points >= 1_000_000 || decimal.Round(points, 2) != points)) v.Add($"{at}.points", "must be from 0 to 999999.99 with at most 2 decimal places");
            if (level.Color is { } color && !ColorShape().IsMatch(color)) v.Add($"{at}.color", "must be a color like '#1865f2'");
        }

        var mastery = request.Levels.Count(l => l.IsMastery);
        if (mastery != 1) v.Add("levels", $"exactly one level must have isMastery = true (found {mastery})");
        return v;
    }

    static async Task<Results<Created<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> Create(
        MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await ScaleStore.CreateAsync(scope, id, id, 1, request.Name, request.Levels, ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.MasteryScales, id, ct);
        var scale = await ScaleStore.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/mastery-scales/{id}", scale!);
    }

    static async Task<Results<Ok<Page<MasteryScaleResponse>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await ScaleStore.ListAsync(scope, after, size, ct));
    }

    static async Task<Results<Ok<MasteryScaleResponse>, ProblemHttpResult>> Get(Guid scaleId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.MasteryScales, scaleId, ct);
        var scale = await ScaleStore.ReadAsync(scope, scaleId, ct);
        return scale is null ? Problems.NotFound("mastery scale", scaleId) : TypedResults.Ok(scale);
    }

    /// <summary>Replaces the name and levels; the levels of a scale in use are frozen (a name-only change is fine).</summary>
    static async Task<Results<Ok<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> Replace(
        Guid scaleId, MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await RowVersions.LockAsync(scope, VersionedTable.MasteryScales, scaleId, ct) is not { } version) return Problems.NotFound("mastery scale", scaleId);
        if (ETags.Precondition(http.Request, "mastery scale", version) is { } refused) return refused;
        switch (await ScaleStore.ReplaceAsync(scope, scaleId, request.Name, request.Levels, ct))
        {
            case ScaleReplacement.NotFound:
                return Problems.NotFound("mastery scale", scaleId);
            case ScaleReplacement.InUse:
                return Problems.Conflict(
                    $"Mastery scale {scaleId} is in use (mastery or evidence is recorded against it), so its levels cannot change; only its name can. " +
                    $"Create a new version with POST /api/v1/mastery-scales/{scaleId}/versions and point frameworks to it.",
                    new Dictionary<string, object?> { ["field"] = "levels" });
        }

        await ETags.SetAsync(http.Response, scope, VersionedTable.MasteryScales, scaleId, ct);
        var scale = await ScaleStore.ReadAsync(scope, scaleId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(scale!);
    }

    /// <summary>Version n+1 of the scale's family, a new scale with its own id; frameworks keep the version they point to.</summary>
    static async Task<Results<Created<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> NewVersion(
        Guid scaleId, MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await ScaleStore.LockFamilyAsync(scope, scaleId, ct) is not { } family) return Problems.NotFound("mastery scale", scaleId);
        var (familyId, next) = family;
        var id = Guid.CreateVersion7();
        await ScaleStore.CreateAsync(scope, id, familyId, next, request.Name, request.Levels, ct);
        await ETags.SetAsync(http.Response, scope, VersionedTable.MasteryScales, id, ct);
        var scale = await ScaleStore.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/mastery-scales/{id}", scale!);
    }
}

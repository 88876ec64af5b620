using Hephaestus.Data;
using Hephaestus.Data.Content;
using Hephaestus.Domain.Content;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>An automated judge names its model and judging rubric; a person names nothing (they are the signed-in user).</summary>
public sealed record EvaluatorBody(EvaluatorKind? Kind, string? ModelId = null, string? RubricId = null, string? RubricVersion = null);

public sealed record ScoreBody(string? Dimension, decimal? Score, string? Rationale = null);

/// <summary>One evaluator's scores on several dimensions of one version.</summary>
public sealed record QualityScoresRequest(EvaluatorBody? Evaluator = null, IReadOnlyList<ScoreBody>? Scores = null);

public sealed record QualityScoresResponse(IReadOnlyList<QualityScore> Scores);

public sealed record VersionQualityResponse(Guid VersionId, IReadOnlyList<DimensionQuality> Dimensions);

/// <summary>
/// Quality scores of content versions: reviewers (people, and automated judges posting as a reviewer account) score
/// versions on declared dimensions; content staff and analysts read the aggregate per dimension and the full history.
/// </summary>
public static class ContentQualityApi
{
    public const int MaxScoresPerRequest = 50;
    public const int RationaleLength = 4000;

    public static IEndpointRouteBuilder MapContentQuality(this IEndpointRouteBuilder routes)
    {
        var content = routes.MapGroup("/api/v1/content").WithTags("Content quality").RequireAuthorization(Policies.Provisioned);
        content.MapGet("/quality-dimensions", Dimensions).WithName("ListQualityDimensions")
            .WithSummary("The quality dimensions and their scales")
            .WithDescription("Every dimension a version can be scored on, with the scale its scores use (a score outside it is refused).")
            .Produces<IReadOnlyList<QualityDimension>>();
        content.MapPost("/versions/{versionId:guid}/quality-scores", Score).WithName("ScoreContentVersion").RequireAuthorization(Policies.Reviewer)
            .WithSummary("Score a content version on several dimensions")
            .WithDescription("One evaluator's scores, in one batch. A person (reviewer or admin) sends evaluator.kind 'human'; an automated "
                + "judge signs in as a reviewer account and sends kind 'judge' with modelId, rubricId and rubricVersion, which identify it. "
                + "A second score by the same evaluator on the same dimension supersedes the first, which stays in the history. "
                + "An unknown dimension or a score outside the dimension's scale is a 422 naming the field; nothing is stored.")
            .Produces<QualityScoresResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        content.MapGet("/versions/{versionId:guid}/quality", Aggregate).WithName("GetContentVersionQuality").RequireAuthorization(Policies.ContentReaders)
            .WithSummary("A version's quality per dimension")
            .WithDescription("Over the current scores (each evaluator's latest per dimension): count, mean (raw and normalized to 0..1), "
                + "minimum and maximum, for all evaluators and for judges and people apart.")
            .Produces<VersionQualityResponse>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        content.MapGet("/versions/{versionId:guid}/quality/history", History).WithName("GetContentVersionQualityHistory")
            .RequireAuthorization(Policies.ContentReaders)
            .WithSummary("Every score a version received")
            .WithDescription("Current and superseded scores in the order they were given (supersededAt set on replaced ones), keyset-paged by id.")
            .Produces<Page<QualityScore>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Ok<IReadOnlyList<QualityDimension>>> Dimensions(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await ContentQualityStore.DimensionsAsync(scope, ct));
    }

    static async Task<Results<Created<QualityScoresResponse>, ValidationProblem, ProblemHttpResult>> Score(
        Guid versionId, QualityScoresRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation();
        var evaluator = ValidateEvaluator(v, request.Evaluator);
        ValidateScores(v, request.Scores);
        if (!v.IsValid) return v.ToProblem();

        var scores = request.Scores!.Select(s => new ScoreInput(s.Dimension!, s.Score!.Value, s.Rationale)).ToList();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var scoring = await ContentQualityStore.RecordAsync(scope, versionId, evaluator!, scores, ct);
        switch (scoring.Outcome)
        {
            case ScoringOutcome.VersionNotFound:
                return Problems.NotFound("content version", versionId);
            case ScoringOutcome.Invalid:
                var errors = scoring.Problems.GroupBy(p => JsonPointer.From($"scores[{p.Index}].{p.Field}"))
                    .ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
                return TypedResults.Problem(new HttpValidationProblemDetails(errors)
                {
                    Status = StatusCodes.Status422UnprocessableEntity,
                    Title = "Scores off their dimension",
                    Detail = "Scores refer to unknown dimensions or lie outside their dimension's scale: " + string.Join(", ", errors.Keys) + ". Nothing was stored.",
                });
        }

        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/content/versions/{versionId}/quality/history", new QualityScoresResponse(scoring.Scores));
    }

    static Evaluator? ValidateEvaluator(Validation v, EvaluatorBody? body)
    {
        if (body is null || body.Kind is null or EvaluatorKind.Human)
        {
            if (body is { ModelId: not null } or { RubricId: not null } or { RubricVersion: not null })
            {
                v.Add("evaluator", "a human evaluator names no model or rubric (they are the signed-in user); send kind 'judge' for an automated judge");
            }

            return Evaluator.Human;
        }

        v.Text("evaluator.modelId", body.ModelId, 1, 200).Text("evaluator.rubricId", body.RubricId, 1, 200).Text("evaluator.rubricVersion", body.RubricVersion, 1, 100);
        return new Evaluator(EvaluatorKind.Judge, body.ModelId, body.RubricId, body.RubricVersion);
    }

    static void ValidateScores(Validation v, IReadOnlyList<ScoreBody>? scores)
    {
        if (scores is null || scores.Count == 0 || scores.Count > MaxScoresPerRequest)
        {
            v.Add("scores", $"must hold 1 to {MaxScoresPerRequest} scores");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < scores.Count; i++)
        {
            v.Text($"scores[{i}].dimension", scores[i].Dimension, 1, 63).Text($"scores[{i}].rationale", scores[i].Rationale, 1, RationaleLength, required: false);
            if (scores[i].Score is null) v.Add($"scores[{i}].score", "is required");
            if (scores[i].Dimension is { } dimension && !seen.Add(dimension)) v.Add($"scores[{i}].dimension", $"'{dimension}' is scored twice in this batch");
        }
    }

    static async Task<Results<Ok<VersionQualityResponse>, ProblemHttpResult>> Aggregate(Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var dimensions = await ContentQualityStore.AggregateAsync(scope, versionId, ct);
        return dimensions is null ? Problems.NotFound("content version", versionId) : TypedResults.Ok(new VersionQualityResponse(versionId, dimensions));
    }

    static async Task<Results<Ok<Page<QualityScore>>, ValidationProblem, ProblemHttpResult>> History(Guid versionId, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit, defaultSize: ContentQualityStore.HistoryPageSize);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var page = await ContentQualityStore.HistoryAsync(scope, versionId, after, size, ct);
        return page is null ? Problems.NotFound("content version", versionId) : TypedResults.Ok(page);
    }
}

using System.Text.RegularExpressions;
using Hephaestus.Data;
using Hephaestus.Data.Content;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>A flag: where it comes from (default <c>review</c>; the analytics issue writes <c>item_analysis</c>) and why.</summary>
public sealed record FlagRequest(string? Source = null, string? Reason = null);

/// <summary>
/// The regeneration loop: versions are flagged, and the queue lists those needing regeneration (below the publish gate's
/// thresholds on some dimension, or flagged) until a version regenerated from them exists.
/// </summary>
public static partial class ContentRegenerationApi
{
    public const string DefaultFlagSource = "review";

    public static IEndpointRouteBuilder MapContentRegeneration(this IEndpointRouteBuilder routes)
    {
        var content = routes.MapGroup("/api/v1/content").WithTags("Content regeneration").RequireAuthorization(Policies.Provisioned);
        content.MapGet("/regeneration-queue", Queue).WithName("ListContentRegenerationQueue").RequireAuthorization(Policies.ContentWorkflow)
            .WithSummary("Versions that need regenerating")
            .WithDescription("Versions (not retired) whose current mean on some dimension lies below the publish gate's threshold, or that "
                + "are flagged; each with the dimensions below (value and threshold) and its flags. A version leaves the queue once a "
                + "version regenerated from it exists. Keyset-paged by version id (after, limit).")
            .Produces<Page<RegenerationCandidate>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        content.MapPost("/versions/{versionId:guid}/flags", Flag).WithName("FlagContentVersion").RequireAuthorization(Policies.ContentReaders)
            .WithSummary("Flag a version for regeneration")
            .WithDescription("Body {source, reason}: source is a lower-case word (review by default; item_analysis from analytics).")
            .Produces<ContentFlag>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        content.MapGet("/versions/{versionId:guid}/flags", Flags).WithName("ListContentVersionFlags").RequireAuthorization(Policies.ContentReaders)
            .WithSummary("A version's flags")
            .WithDescription("Every flag raised on the version, oldest first.")
            .Produces<IReadOnlyList<ContentFlag>>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex SourceShape();

    static async Task<Results<Ok<Page<RegenerationCandidate>>, ValidationProblem>> Queue(HttpContext http, NpgsqlDataSource db, IConfiguration configuration,
        CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await ContentRegenerationStore.QueueAsync(scope, ContentPublishGate.From(configuration), after, size, ct));
    }

    static async Task<Results<Created<ContentFlag>, ValidationProblem, ProblemHttpResult>> Flag(Guid versionId, FlagRequest request, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct)
    {
        var source = request.Source ?? DefaultFlagSource;
        var v = new Validation().Text("reason", request.Reason, 1, ContentReviewApi.ReasonLength);
        if (!SourceShape().IsMatch(source)) v.Add("source", "must be a lower-case word of letters, digits and '_' (up to 63), such as review or item_analysis");
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var flag = await ContentRegenerationStore.FlagAsync(scope, versionId, source, request.Reason!, ct);
        if (flag is null) return Problems.NotFound("content version", versionId);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/content/versions/{versionId}/flags", flag);
    }

    static async Task<Results<Ok<IReadOnlyList<ContentFlag>>, ProblemHttpResult>> Flags(Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var flags = await ContentRegenerationStore.FlagsAsync(scope, versionId, ct);
        return flags is null ? Problems.NotFound("content version", versionId) : TypedResults.Ok(flags);
    }
}

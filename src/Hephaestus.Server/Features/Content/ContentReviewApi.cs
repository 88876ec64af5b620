using Hephaestus.Data;
using Hephaestus.Data.Content;
using Hephaestus.Domain.Content;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>A move of a version's status, and why (required when a version is sent back to draft).</summary>
public sealed record TransitionRequest(ContentStatus? To = null, string? Reason = null);

/// <summary>Why the publish gate refused: a dimension with its current normalized mean and threshold, or the missing human review.</summary>
public sealed record GateFailureBody(string? Dimension, decimal? Value, decimal? Threshold, string Problem);

/// <summary>A dimension the gate holds a minimum for: the version's current normalized mean (null without scores) and whether it reaches it.</summary>
public sealed record GateThresholdBody(string Dimension, decimal Threshold, decimal? Value, bool Passes);

/// <summary>
/// The publish gate's verdict on a version as it stands: whether a publish would pass, each gated dimension against its
/// threshold, the human-review rule, and the failures in the words a refused publish gives.
/// </summary>
public sealed record GateVerdictResponse(Guid VersionId, ContentStatus Status, bool Passes, bool RequireHumanReview, bool HasHumanReview,
    IReadOnlyList<GateThresholdBody> Thresholds, IReadOnlyList<GateFailureBody> Failures);

/// <summary>A version waiting for review, with its item's key and title and the mean of its current scores per dimension.</summary>
public sealed record ReviewQueueEntryResponse(ContentVersionResponse Version, string ItemKey, string ItemTitle, IReadOnlyList<DimensionMean> Quality);

/// <summary>
/// Review and publishing of content versions: draft → in_review (authors submit) → approved or back to draft (reviewers;
/// never the version's own author) → published (through the publish gate) → retired. One route, the target status in the
/// body, If-Match with the ETag of the version's review state; every move is audited by the database.
/// </summary>
public static class ContentReviewApi
{
    public const int ReasonLength = 2000;

    public static IEndpointRouteBuilder MapContentReview(this IEndpointRouteBuilder routes)
    {
        // A bad gate configuration stops the service at start rather than failing the first publish.
        _ = ContentPublishGate.From(routes.ServiceProvider.GetRequiredService<IConfiguration>());
        var content = routes.MapGroup("/api/v1/content/versions").WithTags("Content review").RequireAuthorization(Policies.Provisioned);
        content.MapGet("/{versionId:guid}/review", Get).WithName("GetContentVersionReview").RequireAuthorization(Policies.ContentReaders)
            .WithSummary("A version's review state and audit trail")
            .WithDescription("Its status, when it was published, and every move with who made it, when and why. The ETag header is what a "
                + "transition's If-Match sends back.")
            .Produces<ContentReviewState>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ReturnsETag();
        content.MapPost("/{versionId:guid}/transitions", Move).WithName("MoveContentVersion").RequireAuthorization(Policies.ContentWorkflow)
            .WithSummary("Move a version through review and publishing")
            .WithDescription("Body {to, reason}; If-Match required (428 without, 412 when stale). Moves: draft → in_review (authors, admins); "
                + "in_review → draft (a rejection: reviewers, authors withdrawing, admins; reason required); in_review → approved (reviewers, "
                + "admins; never the version's own author); approved → published (authors, reviewers, admins; the publish gate must pass, and "
                + "the item's published version is retired in the same transaction); approved or published → retired. Another move is a 409 "
                + "naming from and to; a publish the gate refuses is a 409 whose gate extension lists each failing dimension with its value "
                + "and threshold, or the missing human review.")
            .Produces<ContentReviewState>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        content.MapGet("/{versionId:guid}/gate", Gate).WithName("GetContentVersionGate").RequireAuthorization(Policies.ContentReaders)
            .WithSummary("The publish gate's verdict on a version now")
            .WithDescription("Whether publishing the version would pass the gate on its current scores: each gated dimension's normalized mean "
                + "against its threshold, whether a person other than its author scored it (when the gate requires it), and the failures as a "
                + "refused publish names them. Read only: a publish checks again under the version's lock.")
            .Produces<GateVerdictResponse>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapGroup("/api/v1/content").WithTags("Content review").RequireAuthorization(Policies.Provisioned)
            .MapGet("/review-queue", Queue).WithName("ListContentReviewQueue").RequireAuthorization(Policies.ContentWorkflow)
            .WithSummary("Versions waiting for review")
            .WithDescription("Versions in review, oldest first, keyset-paged by version id (after, limit): each with its provenance (what "
                + "generated it, or who wrote it), its item's key and title, and per dimension the count and normalized mean of its current scores.")
            .Produces<Page<ReviewQueueEntryResponse>>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    static async Task<Results<Ok<ContentReviewState>, ProblemHttpResult>> Get(Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var state = await ContentReviewStore.ReadAsync(scope, versionId, ct);
        if (state is null) return Problems.NotFound("content version", versionId);
        http.Response.Headers.ETag = ETags.Format(state.RowVersion);
        return TypedResults.Ok(state);
    }

    static async Task<Results<Ok<GateVerdictResponse>, ProblemHttpResult>> Gate(Guid versionId, HttpContext http, NpgsqlDataSource db, IConfiguration configuration,
        CancellationToken ct)
    {
        var gate = ContentPublishGate.From(configuration);
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (await ContentReviewStore.GateAsync(scope, versionId, gate, ct) is not { } verdict) return Problems.NotFound("content version", versionId);
        var thresholds = gate.MinimumNormalizedMean.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => verdict.Means.TryGetValue(t.Key, out var mean)
                ? new GateThresholdBody(t.Key, t.Value, Math.Round(mean, 4), mean >= t.Value)
                : new GateThresholdBody(t.Key, t.Value, null, false))
            .ToList();
        return TypedResults.Ok(new GateVerdictResponse(versionId, verdict.Status, verdict.Failures.Count == 0, gate.RequireHumanReview, verdict.HasHumanReview,
            thresholds, Failures(verdict.Failures)));
    }

    static async Task<Results<Ok<Page<ReviewQueueEntryResponse>>, ValidationProblem>> Queue(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var page = await ContentReviewStore.QueueAsync(scope, after, size, ct);
        return TypedResults.Ok(new Page<ReviewQueueEntryResponse>(
            [.. page.Items.Select(e => new ReviewQueueEntryResponse(ContentVersionResponse.From(e.Version), e.ItemKey, e.ItemTitle, e.Quality))], page.Next));
    }

    /// <summary>The gate's failures as both the verdict and a refused publish report them.</summary>
    static List<GateFailureBody> Failures(IEnumerable<GateFailure> failures) =>
        [.. failures.Select(f => new GateFailureBody(f.Dimension, f.Value is { } value ? Math.Round(value, 4) : null, f.Threshold, f.Describe()))];

    static async Task<Results<Ok<ContentReviewState>, ValidationProblem, ProblemHttpResult>> Move(
        Guid versionId, TransitionRequest request, HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var v = new Validation().Text("reason", request.Reason, 1, ReasonLength, required: false);
        if (request.To is null) v.Add("to", $"is required: one of {string.Join(", ", Domain.WireNames<ContentStatus>.All)}");
        if (!v.IsValid) return v.ToProblem();

        var to = request.To!.Value;
        var moved = await ContentReviewStore.MoveAsync(db, http.RequireActor(), versionId, to, request.Reason, ETags.Parse(http.Request),
            ContentPublishGate.From(configuration), ct);
        var from = moved.From?.ToWireName();
        switch (moved.Outcome)
        {
            case TransitionOutcome.Moved:
                http.Response.Headers.ETag = ETags.Format(moved.State!.RowVersion);
                return TypedResults.Ok(moved.State);
            case TransitionOutcome.NotFound:
                return Problems.NotFound("content version", versionId);
            case TransitionOutcome.PreconditionRequired:
                return Problems.PreconditionRequired("content version's review state");
            case TransitionOutcome.PreconditionFailed:
                return Problems.PreconditionFailed("content version's review state", ETags.Format(moved.CurrentRowVersion!.Value));
            case TransitionOutcome.GateRefused:
                var failures = Failures(moved.Gate!);
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Publish gate refused",
                    detail: "The version cannot be published: " + string.Join("; ", failures.Select(f => f.Problem)) + ".",
                    extensions: new Dictionary<string, object?> { ["gate"] = failures });
        }

        var extensions = new Dictionary<string, object?> { ["from"] = from, ["to"] = to.ToWireName() };
        return moved.Refusal switch
        {
            TransitionRefusal.Illegal => Problems.Conflict(
                $"A version that is {from} cannot move to {to.ToWireName()}; from {from} it can move to "
                + (ContentReviewFlow.Next(moved.From!.Value) is { Count: > 0 } next ? string.Join(" or ", next.Select(s => s.ToWireName())) : "nothing") + ".",
                extensions),
            TransitionRefusal.OwnVersion => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "A version is approved by someone other than its author (four eyes).", extensions: extensions),
            TransitionRefusal.ReasonRequired => new Validation().Add("reason", "is required when a version is sent back to draft").ToProblem(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"Moving a version from {from} to {to.ToWireName()} needs the role {string.Join(" or ", ContentReviewFlow.RolesFor(moved.From!.Value, to))}.",
                extensions: extensions),
        };
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hephaestus.Data.Assessments;
using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>
/// Attempts: start (within the attempt limit), save responses (repeatable, until the server-side deadline), submit
/// (scored on the server; safe to retry with Idempotency-Key). Learners act on their own attempts; their educators and
/// admins read them. Items are shown without their answer keys.
/// </summary>
public static class AttemptsApi
{
    public static IEndpointRouteBuilder MapAttempts(this IEndpointRouteBuilder routes)
    {
        var attempts = routes.MapGroup("/api/v1").WithTags("Attempts").RequireAuthorization(Policies.Provisioned);
        attempts.MapPost("/assessments/{assessmentId:guid}/attempts", Start).WithName("StartAttempt")
            .WithSummary("Start an attempt")
            .WithDescription("Starts the caller's attempt (items drawn, deadline set) or returns the one already open (200). 409 when attempts are used up, the pool is too small, the assessment is retired, or now is outside its window.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        attempts.MapGet("/learners/{learnerId:guid}/attempts/{attemptId:guid}", Get).WithName("GetAttempt")
            .WithSummary("Read an attempt")
            .WithDescription("The attempt with its items as the learner sees them (never the answer key) and the responses saved. The learner, their educators, admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        attempts.MapPut("/learners/{learnerId:guid}/attempts/{attemptId:guid}/responses/{itemVersionId:guid}", SaveResponse).WithName("SaveResponse").LimitRowWrites()
            .WithSummary("Save a response")
            .WithDescription("Saves (or replaces) the learner's response to one item, until the deadline (409 after, or once submitted). Only the learner.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        // The handler reads the body itself (its exact bytes are hashed for the Idempotency-Key) and writes stored bytes back,
        // so OpenAPI cannot infer the contract: it is declared here.
        attempts.MapPost("/learners/{learnerId:guid}/attempts/{attemptId:guid}/submit", Submit).WithName("SubmitAttempt").LimitRowWrites()
            .Accepts<SubmitRequest>(isOptional: true, "application/json")
            .Produces<SubmissionResult>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Submit an attempt")
            .WithDescription("Scores the attempt on the server and records result, evidence, mastery and progress in one transaction; 201 with the result trimmed to the feedback setting, `late` when after the due date. Send an Idempotency-Key to retry safely: the same key and body get the first response again with Idempotent-Replayed: true. Only the learner.")
            .TakesIdempotencyKey();
        return routes;
    }

    static async Task<Results<Created<AttemptBody>, Ok<AttemptBody>, ProblemHttpResult>> Start(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var start = await AttemptStore.StartAsync(db, actor, assessmentId, ct);
        return start.Outcome switch
        {
            StartOutcome.AssessmentNotFound => Problems.NotFound("assessment", assessmentId),
            StartOutcome.AttemptsUsedUp => Problems.Conflict($"All {start.AttemptsAllowed} attempt(s) allowed for this assessment are used.",
                new Dictionary<string, object?> { ["attemptsAllowed"] = start.AttemptsAllowed, ["attemptsUsed"] = start.AttemptsUsed }),
            StartOutcome.PoolTooSmall => Problems.Conflict(
                $"The pool for skill {start.Part!.PoolSkillId} has only {start.Drawn} item(s) left to draw; the assessment needs {start.Part.PoolCount}."),
            StartOutcome.Retired => Problems.Conflict("The assessment is retired: no new attempts start."),
            StartOutcome.OutsideWindow => OutsideWindow(start.Schedule!),
            StartOutcome.AlreadyOpen => TypedResults.Ok(Body(start.Attempt!)),
            _ => TypedResults.Created($"/api/v1/learners/{actor.UserId}/attempts/{start.Attempt!.Attempt.Id}", Body(start.Attempt)),
        };
    }

    /// <summary>A 409 that names the window, so a client can tell the learner when to come back (or that it is over).</summary>
    static ProblemHttpResult OutsideWindow(AssessmentSchedule window)
    {
        var from = window.AvailableFrom is { } f ? f.ToString("O", CultureInfo.InvariantCulture) : "any time";
        var until = window.AvailableUntil is { } u ? u.ToString("O", CultureInfo.InvariantCulture) : "no end";
        return Problems.Conflict($"The assessment is open for attempts from {from} until {until}; now is outside that window.",
            new Dictionary<string, object?> { ["availableFrom"] = window.AvailableFrom, ["availableUntil"] = window.AvailableUntil });
    }

    static async Task<Results<Ok<AttemptBody>, ProblemHttpResult>> Get(Guid learnerId, Guid attemptId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var attempt = await AttemptStore.ReadAsync(db, http.RequireActor(), learnerId, attemptId, ct);
        return attempt is null ? Problems.NotFound("attempt", attemptId) : TypedResults.Ok(Body(attempt));
    }

    /// <summary>The attempt with its items in the learner view: never the answer key, whoever asks.</summary>
    static AttemptBody Body(AttemptDetail detail)
    {
        var attempt = detail.Attempt;
        var seed = BitConverter.ToInt32(attempt.Id.ToByteArray(), 12); // stable per attempt: a reload shows the same order
        return new AttemptBody(attempt.Id, attempt.LearnerId, attempt.AssessmentId, attempt.Number, attempt.Status, attempt.StartedAt, attempt.DeadlineAt,
            attempt.SubmittedAt, [.. attempt.ItemVersionIds.Select(id => new AttemptItem(id, detail.Items[id].Definition.ToLearnerView(seed),
                detail.Responses.TryGetValue(id, out var r) ? r : null))], attempt.AssessmentVersion, attempt.DueAt, attempt.Late);
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SaveResponse(
        Guid learnerId, Guid attemptId, Guid itemVersionId, SaveResponseRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var saved = await AttemptStore.SaveResponseAsync(db, http.RequireActor(), learnerId, attemptId, itemVersionId, request.Response, ct);
        return saved.Outcome switch
        {
            ResponseSaveOutcome.AttemptNotFound => Problems.NotFound("attempt", attemptId),
            ResponseSaveOutcome.NotTheLearner => Problems.Forbidden("Only the learner answers their attempt."),
            ResponseSaveOutcome.AlreadySubmitted => AlreadySubmitted(),
            ResponseSaveOutcome.TimeUp => Problems.Conflict(
                $"Time is up: the attempt's deadline was {saved.Deadline:O}. Submit it to have what was saved in time scored."),
            ResponseSaveOutcome.NotInAttempt => new Validation().Add("itemVersionId", $"item version {itemVersionId} is not part of this attempt").ToProblem(),
            ResponseSaveOutcome.InvalidResponse => new Validation().AddRange(saved.Errors!).ToProblem(),
            _ => TypedResults.NoContent(),
        };
    }

    static ProblemHttpResult AlreadySubmitted() => Problems.Conflict("The attempt is already submitted.");

    /// <summary>
    /// Submission: score, result, evidence, mastery and progress in one durable transaction.
    /// Idempotency-Key (optional, recommended): the same key and body return the first response; a different body with
    /// the same key is 422; a second request while the first still runs is 409.
    /// </summary>
    static async Task<IResult> Submit(Guid learnerId, Guid attemptId, HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var actor = http.RequireActor();
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var raw = buffer.ToArray();
        SubmitRequest request;
        try
        {
            request = raw.Length == 0 ? new SubmitRequest() : JsonSerializer.Deserialize<SubmitRequest>(raw, json.Value.SerializerOptions) ?? new SubmitRequest();
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException("The request body is not valid JSON for this endpoint.", StatusCodes.Status400BadRequest, e);
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 200) return new Validation().Add("Idempotency-Key", "must be at most 200 characters").ToProblem();
        var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes($"POST {http.Request.Path}\n"), .. raw]);

        var reply = await AttemptStore.SubmitAsync(db, learning, actor, new Submission(learnerId, attemptId, request.Responses, key, hash),
            (result, feedback) => JsonSerializer.Serialize(Grading.Feedback(result, feedback), json.Value.SerializerOptions), ct);
        switch (reply.Outcome)
        {
            case SubmitOutcome.KeyInUse:
                return Problems.Conflict("A request with this Idempotency-Key is still being processed; retry after it completes.");
            case SubmitOutcome.KeyReused:
                return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                    detail: "This Idempotency-Key was used with a different request; use a new key for a new request.");
            case SubmitOutcome.Replayed:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Text(reply.Body, "application/json", Encoding.UTF8, reply.Status);
            case SubmitOutcome.AttemptNotFound:
                return Problems.NotFound("attempt", attemptId);
            case SubmitOutcome.NotTheLearner:
                return Problems.Forbidden("Only the learner submits their attempt.");
            case SubmitOutcome.AlreadySubmitted:
                return AlreadySubmitted();
            case SubmitOutcome.InvalidResponses:
                return new Validation().AddRange(reply.Errors!).ToProblem();
            default:
                http.Response.Headers.Location = $"/api/v1/learners/{learnerId}/attempts/{attemptId}";
                return Results.Text(reply.Body, "application/json", Encoding.UTF8, StatusCodes.Status201Created);
        }
    }
}

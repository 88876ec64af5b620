using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Assessments;
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
        var attempts = routes.MapGroup("/api/v1").WithTags("Attempts").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        attempts.MapPost("/assessments/{assessmentId:guid}/attempts", Start).WithName("StartAttempt");
        attempts.MapGet("/learners/{learnerId:guid}/attempts/{attemptId:guid}", Get).WithName("GetAttempt");
        attempts.MapPut("/learners/{learnerId:guid}/attempts/{attemptId:guid}/responses/{itemVersionId:guid}", SaveResponse).WithName("SaveResponse");
        attempts.MapPost("/learners/{learnerId:guid}/attempts/{attemptId:guid}/submit", Submit).WithName("SubmitAttempt");
        return routes;
    }

    static async Task<Results<Created<AttemptBody>, Ok<AttemptBody>, ProblemHttpResult>> Start(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // One start at a time per learner and assessment: the count, the draw and the insert see a stable world.
        await using (var serialize = scope.Command("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))"))
        {
            serialize.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = actor.UserId });
            serialize.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = assessmentId });
            await serialize.ExecuteNonQueryAsync(ct);
        }

        var assessment = await AssessmentsApi.ReadAsync(scope, assessmentId, ct);
        if (assessment is null) return Problems.NotFound("assessment", assessmentId);

        Guid? openAttempt = null;
        var used = 0;
        await using (var existing = scope.Command("""
            SELECT count(*)::int, (SELECT id FROM hephaestus.attempts WHERE learner_id = $1 AND assessment_id = $2 AND status = 'in_progress'
                                   AND (deadline_at IS NULL OR deadline_at > now()) ORDER BY number DESC LIMIT 1)
            FROM hephaestus.attempts WHERE learner_id = $1 AND assessment_id = $2
            """))
        {
            existing.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = actor.UserId });
            existing.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = assessmentId });
            await using var reader = await existing.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            used = reader.GetInt32(0);
            openAttempt = reader.IsDBNull(1) ? null : reader.GetGuid(1);
        }

        // Starting again while an attempt is open returns that attempt: a double click does not spend an attempt.
        if (openAttempt is { } open)
        {
            var body = await ReadBodyAsync(scope, actor.UserId, open, ct);
            await scope.CommitAsync(ct);
            return TypedResults.Ok(body!);
        }

        if (assessment.Settings.AttemptsAllowed is { } allowed && used >= allowed)
        {
            return Problems.Conflict($"All {allowed} attempt(s) allowed for this assessment are used.",
                new Dictionary<string, object?> { ["attemptsAllowed"] = allowed, ["attemptsUsed"] = used });
        }

        var items = new List<Guid>();
        foreach (var part in assessment.Parts)
        {
            await using var draw = scope.Command(part.ItemId is not null
                ? "SELECT v.id FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = coalesce($2, i.current_version) WHERE i.id = $1"
                : """
                  SELECT v.id FROM hephaestus.item_version_skills s
                  JOIN hephaestus.item_versions v ON v.id = s.item_version_id
                  JOIN hephaestus.items i ON i.id = v.item_id AND i.current_version = v.version
                  WHERE s.skill_id = $1 AND NOT v.id = ANY ($3) ORDER BY random() LIMIT $2
                  """);
            draw.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = part.ItemId ?? part.PoolSkillId!.Value });
            draw.Parameters.Add(new NpgsqlParameter { Value = (object?)(part.ItemVersion ?? part.PoolCount) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            if (part.ItemId is null) draw.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = items.ToArray() });
            var drawn = new List<Guid>();
            await using (var reader = await draw.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) drawn.Add(reader.GetGuid(0));
            }

            if (part.PoolCount is { } wanted && drawn.Count < wanted)
            {
                return Problems.Conflict($"The pool for skill {part.PoolSkillId} has only {drawn.Count} item(s) left to draw; the assessment needs {wanted}.");
            }

            items.AddRange(drawn.Where(d => !items.Contains(d)));
        }

        var attemptId = Guid.CreateVersion7();
        await using (var insert = scope.Command("""
            INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids, deadline_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = actor.UserId });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = attemptId });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = assessmentId });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = used + 1 });
            insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = items.ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = assessment.Settings.TimeLimitSeconds is { } limit ? (double)limit : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            await insert.ExecuteNonQueryAsync(ct);
        }

        var created = await ReadBodyAsync(scope, actor.UserId, attemptId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/learners/{actor.UserId}/attempts/{attemptId}", created!);
    }

    static async Task<Results<Ok<AttemptBody>, ProblemHttpResult>> Get(Guid learnerId, Guid attemptId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var body = await ReadBodyAsync(scope, learnerId, attemptId, ct);
        return body is null ? Problems.NotFound("attempt", attemptId) : TypedResults.Ok(body);
    }

    /// <summary>The attempt with its items in the learner view: never the answer key, whoever asks.</summary>
    static async Task<AttemptBody?> ReadBodyAsync(ActorScope scope, Guid learnerId, Guid attemptId, CancellationToken ct)
    {
        var attempt = await AttemptSql.ReadAttemptAsync(scope, learnerId, attemptId, forUpdate: false, ct);
        if (attempt is null) return null;
        var items = await AttemptSql.ReadItemVersionsAsync(scope, attempt.ItemVersionIds, ct);
        var responses = await AttemptSql.ReadResponsesAsync(scope, learnerId, attemptId, null, ct);
        var seed = BitConverter.ToInt32(attempt.Id.ToByteArray(), 12); // stable per attempt: a reload shows the same order
        return new AttemptBody(attempt.Id, attempt.LearnerId, attempt.AssessmentId, attempt.Number, attempt.Status, attempt.StartedAt, attempt.DeadlineAt,
            attempt.SubmittedAt, attempt.ItemVersionIds.Select(id => new AttemptItem(id, items[id].Definition.ToLearnerView(seed),
                responses.TryGetValue(id, out var r) ? r : null)).ToList());
    }

    static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SaveResponse(
        Guid learnerId, Guid attemptId, Guid itemVersionId, SaveResponseRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var attempt = await AttemptSql.ReadAttemptAsync(scope, learnerId, attemptId, forUpdate: true, ct);
        if (attempt is null) return Problems.NotFound("attempt", attemptId);
        if (attempt.LearnerId != actor.UserId) return Problems.Forbidden("Only the learner answers their attempt.");
        var closed = CheckOpen(attempt);
        if (closed is not null) return closed;
        if (!attempt.ItemVersionIds.Contains(itemVersionId))
        {
            return new Validation().Add("itemVersionId", $"item version {itemVersionId} is not part of this attempt").ToProblem();
        }

        var items = await AttemptSql.ReadItemVersionsAsync(scope, [itemVersionId], ct);
        var (_, errors) = ItemResponseParser.Parse(items[itemVersionId].Definition, request.Response);
        if (errors.Count > 0) return new Validation().AddRange(errors, "response").ToProblem();
        await AttemptSql.SaveResponseAsync(scope, learnerId, attemptId, itemVersionId, request.Response, ct);
        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    static ProblemHttpResult? CheckOpen(AttemptRow attempt)
    {
        if (attempt.Status != "in_progress") return Problems.Conflict("The attempt is already submitted.");
        if (attempt.DeadlineAt is { } deadline && DateTimeOffset.UtcNow > deadline)
        {
            return Problems.Conflict($"Time is up: the attempt's deadline was {deadline:O}. Submit it to have what was saved in time scored.");
        }

        return null;
    }

    /// <summary>
    /// Submission: score, result, evidence, mastery and progress in one durable transaction.
    /// Idempotency-Key (optional, recommended): the same key and body return the first response; a different body with
    /// the same key is 422; a second request while the first still runs is 409. The key row commits with the work,
    /// so a crash leaves either both or neither. A try-lock on the key tells "still running" apart from "done".
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

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // One round trip for everything the submission reads: the key's lock and record, the attempt (locked), its
        // items, the responses saved in time and the assessment's settings.
        var read = await SubmissionReads.ReadAsync(scope, learnerId, attemptId, key, ct);
        if (key.Length > 0)
        {
            if (!read.KeyLocked) return Problems.Conflict("A request with this Idempotency-Key is still being processed; retry after it completes.");
            if (read.Previous is { } previous)
            {
                if (!previous.Hash.AsSpan().SequenceEqual(hash))
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused",
                        detail: "This Idempotency-Key was used with a different request; use a new key for a new request.");
                }

                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Text(previous.Body, "application/json", Encoding.UTF8, previous.Status);
            }
        }

        var attempt = read.Attempt;
        if (attempt is null) return Problems.NotFound("attempt", attemptId);
        if (attempt.LearnerId != actor.UserId) return Problems.Forbidden("Only the learner submits their attempt.");
        if (attempt.Status != "in_progress") return Problems.Conflict("The attempt is already submitted.");

        var items = read.Items;
        var responses = read.Responses;
        var now = DateTimeOffset.UtcNow;
        var inTime = attempt.DeadlineAt is not { } deadline || now <= deadline;
        if (request.Responses is { Count: > 0 } final)
        {
            // Final answers sent with the submission count only before the deadline; after it, what was saved in time is scored.
            var v = new Validation();
            foreach (var (itemVersionId, response) in final)
            {
                if (!items.TryGetValue(itemVersionId, out var item)) v.Add($"responses.{itemVersionId}", "is not an item of this attempt");
                else v.AddRange(ItemResponseParser.Parse(item.Definition, response).Errors, $"responses.{itemVersionId}");
            }

            if (!v.IsValid) return v.ToProblem();
            if (inTime)
            {
                foreach (var (itemVersionId, response) in final)
                {
                    await AttemptSql.SaveResponseAsync(scope, learnerId, attemptId, itemVersionId, response, ct);
                    responses[itemVersionId] = response;
                }
            }
        }

        var scored = AttemptSql.Score(attempt.ItemVersionIds, items, responses);
        var settings = read.Settings!;
        var resultId = Guid.CreateVersion7();
        var close = new NpgsqlBatchCommand("UPDATE hephaestus.attempts SET status = 'submitted', submitted_at = $3 WHERE learner_id = $1 AND id = $2")
        {
            Parameters =
            {
                new NpgsqlParameter<Guid> { TypedValue = learnerId },
                new NpgsqlParameter<Guid> { TypedValue = attemptId },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = now },
            },
        };

        // The response body is known once the result is scored (before mastery), so the key's record rides in the
        // same round trip as the writes.
        var result = Grading.Summarize(attempt, scored, settings, revision: 1, resultId);
        var body = JsonSerializer.Serialize(Grading.Feedback(result, settings), json.Value.SerializerOptions);
        var after = new List<NpgsqlBatchCommand> { close };
        if (key.Length > 0)
        {
            after.Add(new NpgsqlBatchCommand("""
                INSERT INTO hephaestus.idempotency_keys (learner_id, key, scope, request_hash, response_status, response_body)
                VALUES ($1, $2, 'submit', $3, 201, $4)
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid> { TypedValue = learnerId },
                    new NpgsqlParameter<string> { TypedValue = key },
                    new NpgsqlParameter<byte[]> { TypedValue = hash },
                    new NpgsqlParameter<string> { TypedValue = body },
                },
            });
        }

        await Grading.WriteResultAsync(learning, scope, attempt, scored, settings, revision: 1, reason: "submitted", observedAt: now, ct, after, resultId);
        await scope.CommitAsync(ct);
        http.Response.Headers.Location = $"/api/v1/learners/{learnerId}/attempts/{attemptId}";
        return Results.Text(body, "application/json", Encoding.UTF8, StatusCodes.Status201Created);
    }
}

using System.Text.Json;
using Hephaestus.Data.Learning;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>A submission: final answers (optional), and the Idempotency-Key (empty: none) with the hash of the request it came with.</summary>
public sealed record Submission(Guid LearnerId, Guid AttemptId, IReadOnlyDictionary<Guid, JsonElement>? Responses, string IdempotencyKey, byte[] RequestHash);

public enum SubmitOutcome
{
    /// <summary>Scored and recorded; <see cref="SubmitReply.Body"/> is the new response.</summary>
    Submitted,

    /// <summary>The key was used with this very request: <see cref="SubmitReply.Body"/> and <see cref="SubmitReply.Status"/> are the first response.</summary>
    Replayed,

    /// <summary>A request with this key is still running.</summary>
    KeyInUse,

    /// <summary>The key was used with a different request.</summary>
    KeyReused,
    AttemptNotFound,
    NotTheLearner,
    AlreadySubmitted,

    /// <summary>A final answer names no item of the attempt or does not answer it; <see cref="SubmitReply.Errors"/> says which.</summary>
    InvalidResponses,
}

public sealed record SubmitReply(SubmitOutcome Outcome, int Status = 0, string? Body = null, IReadOnlyList<ValidationError>? Errors = null);

public static partial class AttemptStore
{
    /// <summary>
    /// Submission: score, result, evidence, mastery and progress in one durable transaction. With an idempotency key,
    /// the key row commits with the work, so a crash leaves either both or neither, and a try-lock on the key tells
    /// "still running" apart from "done".
    /// </summary>
    /// <param name="responseBody">The response to a submission, from its result and the assessment's feedback level: stored with the key for replays.</param>
    public static async Task<SubmitReply> SubmitAsync(NpgsqlDataSource db, LearnerRecord learning, Actor actor, Submission submission,
        Func<GradedResult, FeedbackLevel, string> responseBody, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(responseBody);
        var (learnerId, attemptId, key) = (submission.LearnerId, submission.AttemptId, submission.IdempotencyKey);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        // One round trip for everything the submission reads: the key's lock and record, the attempt (locked), its
        // items, the responses saved in time and the assessment's settings.
        var read = await ReadForSubmissionAsync(scope, learnerId, attemptId, key, ct);
        if (key.Length > 0)
        {
            if (!read.KeyLocked) return new SubmitReply(SubmitOutcome.KeyInUse);
            if (read.Previous is { } previous)
            {
                return previous.Hash.AsSpan().SequenceEqual(submission.RequestHash)
                    ? new SubmitReply(SubmitOutcome.Replayed, previous.Status, previous.Body)
                    : new SubmitReply(SubmitOutcome.KeyReused);
            }
        }

        var attempt = read.Attempt;
        if (attempt is null) return new SubmitReply(SubmitOutcome.AttemptNotFound);
        if (attempt.LearnerId != actor.UserId) return new SubmitReply(SubmitOutcome.NotTheLearner);
        if (attempt.Status != AttemptStatus.InProgress) return new SubmitReply(SubmitOutcome.AlreadySubmitted);

        var (items, responses) = (read.Items, read.Responses);
        var now = DateTimeOffset.UtcNow;
        var inTime = attempt.DeadlineAt is not { } deadline || now <= deadline;
        if (submission.Responses is { Count: > 0 } final)
        {
            // Final answers sent with the submission count only before the deadline; after it, what was saved in time is scored.
            var errors = new List<ValidationError>();
            foreach (var (itemVersionId, response) in final)
            {
                if (!items.TryGetValue(itemVersionId, out var item)) errors.Add(new ValidationError($"responses.{itemVersionId}", "is not an item of this attempt"));
                else errors.AddRange(ItemResponseParser.Parse(item.Definition, response).Errors.Select(e => e with { Path = $"responses.{itemVersionId}{e.Path}" }));
            }

            if (errors.Count > 0) return new SubmitReply(SubmitOutcome.InvalidResponses, Errors: errors);
            if (inTime)
            {
                foreach (var (itemVersionId, response) in final)
                {
                    await SaveResponseAsync(scope, learnerId, attemptId, itemVersionId, response, ct);
                    responses[itemVersionId] = response;
                }
            }
        }

        var scored = Grading.Score(attempt.ItemVersionIds, items, responses);
        var settings = read.Settings!;
        // The due date in force now is the one the attempt is judged by (late is derived from it in the row).
        var close = new NpgsqlBatchCommand("UPDATE hephaestus.attempts SET status = 'submitted', submitted_at = $3, due_at = $4 WHERE learner_id = $1 AND id = $2")
        {
            Parameters = { Uuid(learnerId), Uuid(attemptId), new NpgsqlParameter<DateTimeOffset> { TypedValue = now }, NullableTime(read.DueAt) },
        };

        // The response body is known once the result is scored (before mastery), so the key's record rides in the
        // same round trip as the writes.
        var result = Grading.Summarize(attempt with { DueAt = read.DueAt, Late = now > read.DueAt }, scored, settings, revision: 1, Guid.CreateVersion7());
        var body = responseBody(result, settings.Feedback);
        var alongside = new List<NpgsqlBatchCommand> { close };
        if (key.Length > 0)
        {
            alongside.Add(new NpgsqlBatchCommand("""
                INSERT INTO hephaestus.idempotency_keys (learner_id, key, scope, request_hash, response_status, response_body)
                VALUES ($1, $2, 'submit', $3, 201, $4)
                """)
            {
                Parameters = { Uuid(learnerId), Text(key), new NpgsqlParameter<byte[]> { TypedValue = submission.RequestHash }, Text(body) },
            });
        }

        await Grading.RecordAsync(learning, scope, attempt, result, scored, reason: "submitted", observedAt: now, ct, alongside);
        await scope.CommitAsync(ct);
        return new SubmitReply(SubmitOutcome.Submitted, 201, body);
    }

    readonly record struct SubmissionState(bool KeyLocked, (byte[] Hash, int Status, string Body)? Previous, Attempt? Attempt,
        Dictionary<Guid, ItemVersionRow> Items, Dictionary<Guid, JsonElement> Responses, AssessmentSettings? Settings, DateTimeOffset? DueAt);

    const string AttemptFilter = "learner_id = $1 AND id = $2";

    /// <summary>Everything a submission reads, in one batch (one round trip).</summary>
    static async Task<SubmissionState> ReadForSubmissionAsync(ActorScope scope, Guid learnerId, Guid attemptId, string key, CancellationToken ct)
    {
        NpgsqlParameter[] Ids() => [Uuid(learnerId), Uuid(attemptId)];
        await using var batch = scope.Batch();
        if (key.Length > 0)
        {
            // A try-lock, not a lock: a duplicate arriving while the first still runs is told so (409) instead of waiting.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))")
            {
                Parameters = { Uuid(learnerId), Text(key) },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT request_hash, response_status, response_body FROM hephaestus.idempotency_keys WHERE learner_id = $1 AND key = $2")
            {
                Parameters = { Uuid(learnerId), Text(key) },
            });
        }

        var attempt = new NpgsqlBatchCommand($"SELECT {AttemptColumns} FROM hephaestus.attempts WHERE {AttemptFilter} FOR UPDATE");
        attempt.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(attempt);
        var items = new NpgsqlBatchCommand(ItemStore.AttemptItemVersions);
        items.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(items);
        var responses = new NpgsqlBatchCommand("""
            SELECT r.item_version_id, r.response FROM hephaestus.attempt_responses r JOIN hephaestus.attempts a ON a.learner_id = r.learner_id AND a.id = r.attempt_id
            WHERE r.learner_id = $1 AND r.attempt_id = $2 AND (a.deadline_at IS NULL OR r.saved_at <= a.deadline_at)
            """);
        responses.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(responses);
        // The settings of the version the attempt took (an edit since then made a new version that does not apply to it).
        var settings = new NpgsqlBatchCommand("""
            SELECT v.settings, a.due_at
            FROM hephaestus.attempts t
            JOIN hephaestus.assessment_versions v ON v.assessment_id = t.assessment_id AND v.version = t.assessment_version
            JOIN hephaestus.assessments a ON a.id = t.assessment_id
            WHERE t.learner_id = $1 AND t.id = $2
            """);
        settings.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(settings);

        var (keyLocked, previous, row) = (true, ((byte[], int, string)?)null, (Attempt?)null);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (key.Length > 0)
        {
            await reader.ReadAsync(ct);
            keyLocked = reader.GetBoolean(0);
            await reader.NextResultAsync(ct);
            if (await reader.ReadAsync(ct)) previous = (reader.GetFieldValue<byte[]>(0), reader.GetInt32(1), reader.GetString(2));
            await reader.NextResultAsync(ct);
        }

        if (await reader.ReadAsync(ct)) row = ReadAttempt(reader);
        await reader.NextResultAsync(ct);
        var itemRows = await ItemStore.ReadItemVersionsAsync(reader, ct);
        await reader.NextResultAsync(ct);
        var saved = await ReadResponsesAsync(reader, ct);
        await reader.NextResultAsync(ct);
        var (stored, dueAt) = await reader.ReadAsync(ct) ? (AssessmentStore.Settings(reader.GetJson(0)), reader.GetNullableTime(1)) : (null, null);
        return new SubmissionState(keyLocked, previous, row, itemRows, saved, stored, dueAt);
    }
}

using System.Text.Json;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>
/// An attempt row: the item versions drawn for it, in the order shown, and the assessment version it took. Once
/// submitted, <see cref="DueAt"/> is the assessment's due date at that moment and <see cref="Late"/> whether it was after.
/// </summary>
public sealed record Attempt(Guid Id, Guid LearnerId, Guid AssessmentId, int Number, AttemptStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt, DateTimeOffset? SubmittedAt, Guid[] ItemVersionIds, int AssessmentVersion = 1, DateTimeOffset? DueAt = null, bool Late = false);

/// <summary>An attempt with its item versions (answer keys included: the edge shows the learner view) and the responses saved so far.</summary>
public sealed record AttemptDetail(Attempt Attempt, IReadOnlyDictionary<Guid, ItemVersionRow> Items, IReadOnlyDictionary<Guid, JsonElement> Responses);

public enum StartOutcome
{
    Started,

    /// <summary>An attempt was open: it is returned instead of a new one.</summary>
    AlreadyOpen,
    AssessmentNotFound,
    AttemptsUsedUp,

    /// <summary>A pool has fewer items left to draw than the part needs (<see cref="AttemptStart.Part"/>, <see cref="AttemptStart.Drawn"/>).</summary>
    PoolTooSmall,

    /// <summary>The assessment is retired: no new attempts.</summary>
    Retired,

    /// <summary>Now is outside the assessment's availability window (<see cref="AttemptStart.Schedule"/>).</summary>
    OutsideWindow,
}

public sealed record AttemptStart(StartOutcome Outcome, AttemptDetail? Attempt = null, int? AttemptsAllowed = null, int AttemptsUsed = 0,
    AssessmentPart? Part = null, int Drawn = 0, AssessmentSchedule? Schedule = null);

public enum ResponseSaveOutcome
{
    Saved,
    AttemptNotFound,
    NotTheLearner,
    AlreadySubmitted,

    /// <summary>The deadline (<see cref="ResponseSave.Deadline"/>) has passed.</summary>
    TimeUp,
    NotInAttempt,

    /// <summary>The response does not answer the item; <see cref="ResponseSave.Errors"/> says why.</summary>
    InvalidResponse,
}

public sealed record ResponseSave(ResponseSaveOutcome Outcome, DateTimeOffset? Deadline = null, IReadOnlyList<ValidationError>? Errors = null);

/// <summary>
/// Attempts: start (within the attempt limit), save responses (repeatable, until the server-side deadline), submit
/// (scored on the server; see <c>AttemptStore.Submission.cs</c>). Learners act on their own attempts; row-level security
/// lets their educators and admins read them.
/// </summary>
public static partial class AttemptStore
{
    const string AttemptColumns = "id, learner_id, assessment_id, number, status, started_at, deadline_at, submitted_at, item_version_ids, assessment_version, due_at, late";

    public static async Task<AttemptStart> StartAsync(NpgsqlDataSource db, Actor actor, Guid assessmentId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        // One start at a time per learner and assessment: the count, the draw and the insert see a stable world.
        await using (var serialize = scope.Command("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))"))
        {
            serialize.Parameters.Add(Uuid(actor.UserId));
            serialize.Parameters.Add(Uuid(assessmentId));
            await serialize.ExecuteNonQueryAsync(ct);
        }

        await using (var editing = scope.Command(AssessmentStore.LockForStart))
        {
            editing.Parameters.Add(Uuid(assessmentId));
            await editing.ExecuteNonQueryAsync(ct);
        }

        var assessment = await AssessmentStore.ReadAsync(scope, assessmentId, ct);
        if (assessment is null) return new AttemptStart(StartOutcome.AssessmentNotFound);

        Guid? openAttempt;
        int used;
        await using (var existing = scope.Command("""
            SELECT count(*)::int, (SELECT id FROM hephaestus.attempts WHERE learner_id = $1 AND assessment_id = $2 AND status = 'in_progress'
                                   AND (deadline_at IS NULL OR deadline_at > now()) ORDER BY number DESC LIMIT 1)
            FROM hephaestus.attempts WHERE learner_id = $1 AND assessment_id = $2
            """))
        {
            existing.Parameters.Add(Uuid(actor.UserId));
            existing.Parameters.Add(Uuid(assessmentId));
            await using var reader = await existing.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            used = reader.GetInt32(0);
            openAttempt = reader.GetNullableGuid(1);
        }

        // Starting again while an attempt is open returns that attempt: a double click does not spend an attempt.
        if (openAttempt is { } open)
        {
            var detail = await ReadAsync(scope, actor.UserId, open, ct);
            await scope.CommitAsync(ct);
            return new AttemptStart(StartOutcome.AlreadyOpen, detail);
        }

        // An open attempt (above) is returned even when retired or out of the window: its work is not lost.
        if (assessment.Status == AssessmentStatus.Retired) return new AttemptStart(StartOutcome.Retired);
        var now = DateTimeOffset.UtcNow;
        if (now < assessment.Schedule.AvailableFrom || now >= assessment.Schedule.AvailableUntil)
        {
            return new AttemptStart(StartOutcome.OutsideWindow, Schedule: assessment.Schedule);
        }

        if (assessment.Settings.AttemptsAllowed is { } allowed && used >= allowed)
        {
            return new AttemptStart(StartOutcome.AttemptsUsedUp, AttemptsAllowed: allowed, AttemptsUsed: used);
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
            draw.Parameters.Add(Uuid(part.ItemId ?? part.PoolSkillId!.Value));
            draw.Parameters.Add(NullableInt(part.ItemVersion ?? part.PoolCount));
            if (part.ItemId is null) draw.Parameters.Add(Uuids([.. items]));
            var drawn = new List<Guid>();
            await using (var reader = await draw.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) drawn.Add(reader.GetGuid(0));
            }

            if (part.PoolCount is { } wanted && drawn.Count < wanted) return new AttemptStart(StartOutcome.PoolTooSmall, Part: part, Drawn: drawn.Count);
            items.AddRange(drawn.Where(d => !items.Contains(d)));
        }

        var attemptId = Guid.CreateVersion7();
        await using (var insert = scope.Command("""
            INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids, deadline_at, assessment_version)
            VALUES ($1, $2, $3, $4, $5, least(now() + make_interval(secs => $6), $7), $8)
            """))
        {
            insert.Parameters.Add(Uuid(actor.UserId));
            insert.Parameters.Add(Uuid(attemptId));
            insert.Parameters.Add(Uuid(assessmentId));
            insert.Parameters.Add(Int(used + 1));
            insert.Parameters.Add(Uuids([.. items]));
            insert.Parameters.Add(new NpgsqlParameter { Value = assessment.Settings.TimeLimitSeconds is { } limit ? (double)limit : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
            // The window's end is the latest deadline (least ignores nulls): answers after it do not count, as with a time limit.
            insert.Parameters.Add(NullableTime(assessment.Schedule.AvailableUntil));
            insert.Parameters.Add(Int(assessment.Version));
            await insert.ExecuteNonQueryAsync(ct);
        }

        var created = await ReadAsync(scope, actor.UserId, attemptId, ct);
        await scope.CommitAsync(ct);
        return new AttemptStart(StartOutcome.Started, created);
    }

    /// <summary>An attempt the actor may read (row-level security decides), with its items and the responses saved so far.</summary>
    public static async Task<AttemptDetail?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid attemptId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        return await ReadAsync(scope, learnerId, attemptId, ct);
    }

    static async Task<AttemptDetail?> ReadAsync(ActorScope scope, Guid learnerId, Guid attemptId, CancellationToken ct)
    {
        var attempt = await ReadAttemptAsync(scope, learnerId, attemptId, forUpdate: false, ct);
        if (attempt is null) return null;
        var items = await ItemStore.ReadAttemptItemVersionsAsync(scope, learnerId, attemptId, ct);
        var responses = await ReadResponsesAsync(scope, learnerId, attemptId, null, ct);
        return new AttemptDetail(attempt, items, responses);
    }

    public static async Task<ResponseSave> SaveResponseAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid attemptId, Guid itemVersionId, JsonElement response,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        var attempt = await ReadAttemptAsync(scope, learnerId, attemptId, forUpdate: true, ct);
        if (attempt is null) return new ResponseSave(ResponseSaveOutcome.AttemptNotFound);
        if (attempt.LearnerId != actor.UserId) return new ResponseSave(ResponseSaveOutcome.NotTheLearner);
        if (attempt.Status != AttemptStatus.InProgress) return new ResponseSave(ResponseSaveOutcome.AlreadySubmitted);
        if (attempt.DeadlineAt is { } deadline && DateTimeOffset.UtcNow > deadline) return new ResponseSave(ResponseSaveOutcome.TimeUp, deadline);
        if (!attempt.ItemVersionIds.Contains(itemVersionId)) return new ResponseSave(ResponseSaveOutcome.NotInAttempt);

        var items = await ItemStore.ReadAttemptItemVersionsAsync(scope, learnerId, attemptId, ct, only: itemVersionId);
        var (_, errors) = ItemResponseParser.Parse(items[itemVersionId].Definition, response);
        if (errors.Count > 0) return new ResponseSave(ResponseSaveOutcome.InvalidResponse, Errors: [.. errors.Select(e => e with { Path = "response" + e.Path })]);
        await SaveResponseAsync(scope, learnerId, attemptId, itemVersionId, response, ct);
        await scope.CommitAsync(ct);
        return new ResponseSave(ResponseSaveOutcome.Saved);
    }

    static async Task SaveResponseAsync(ActorScope scope, Guid learnerId, Guid attemptId, Guid itemVersionId, JsonElement response, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response) VALUES ($1, $2, $3, $4)
            ON CONFLICT (learner_id, attempt_id, item_version_id) DO UPDATE SET response = excluded.response, saved_at = now()
            """);
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuid(attemptId));
        command.Parameters.Add(Uuid(itemVersionId));
        command.Parameters.Add(Jsonb(response));
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<Attempt?> ReadAttemptAsync(ActorScope scope, Guid learnerId, Guid attemptId, bool forUpdate, CancellationToken ct)
    {
        await using var command = scope.Command($"SELECT {AttemptColumns} FROM hephaestus.attempts WHERE learner_id = $1 AND id = $2 {(forUpdate ? "FOR UPDATE" : "")}");
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuid(attemptId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAttempt(reader) : null;
    }

    /// <summary>A row of <see cref="AttemptColumns"/>.</summary>
    static Attempt ReadAttempt(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), AttemptStatuses.Parse(reader.GetString(4)),
            reader.GetTime(5), reader.GetNullableTime(6), reader.GetNullableTime(7), reader.GetFieldValue<Guid[]>(8), reader.GetInt32(9),
            reader.GetNullableTime(10), reader.GetBoolean(11));

    /// <param name="savedBefore">Only responses saved by then (the deadline, when regrading); null: all.</param>
    internal static async Task<Dictionary<Guid, JsonElement>> ReadResponsesAsync(ActorScope scope, Guid learnerId, Guid attemptId, DateTimeOffset? savedBefore, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT item_version_id, response FROM hephaestus.attempt_responses
            WHERE learner_id = $1 AND attempt_id = $2 AND ($3::timestamptz IS NULL OR saved_at <= $3)
            """);
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuid(attemptId));
        command.Parameters.Add(NullableTime(savedBefore));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadResponsesAsync(reader, ct);
    }

    /// <summary>Rows of (item_version_id, response), to the end of the current result.</summary>
    static async Task<Dictionary<Guid, JsonElement>> ReadResponsesAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var responses = new Dictionary<Guid, JsonElement>();
        while (await reader.ReadAsync(ct)) responses[reader.GetGuid(0)] = reader.GetJson(1);
        return responses;
    }
}

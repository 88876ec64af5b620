using System.Globalization;
using Hephaestus.Data.Learning;
using Hephaestus.Domain;
using Hephaestus.Domain.Identity;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data.Events;

public enum IngestOutcome
{
    Stored,
    /// <summary>The batch names another learner and the actor is not an admin: nothing was written.</summary>
    Forbidden,
    /// <summary>Some events name no user (errors by index): nothing was written.</summary>
    Invalid,
}

/// <summary>What a batch did: how many events were stored, and how many were already stored (or repeated in the batch).</summary>
public sealed record IngestResult(IngestOutcome Outcome, int Stored, int Duplicates, IReadOnlyList<ValidationError>? Errors = null);

/// <summary>One event of a learner's timeline.</summary>
public sealed record TimelineEvent(Guid Id, DateTimeOffset OccurredAt, DateTimeOffset StoredAt, string Source, string? ClientEventId, string Verb,
    EventObject Object, System.Text.Json.JsonElement? Result, System.Text.Json.JsonElement? Context);

public sealed record EventObject(string Type, string Id);

/// <summary>Filters of a timeline: each one given narrows it; <c>Until</c> is exclusive.</summary>
public sealed record TimelineFilter(string? Verb = null, string? ObjectType = null, string? ObjectId = null, DateTimeOffset? Since = null,
    DateTimeOffset? Until = null, string? Source = null);

/// <summary>How many events of a verb occurred on one UTC day.</summary>
public sealed record EventCount(DateOnly Day, string Verb, long Count);

/// <summary>
/// The event store: the native batch path in (binary COPY into the staging table, then one INSERT … SELECT that drops
/// duplicates), and the timeline and counts out. Row-level security decides whose events an actor writes and reads.
/// </summary>
public static class EventStore
{
    const string Copy = """
        COPY hephaestus.learning_event_staging (batch_id, learner_id, occurred_at, id, client_event_id, verb, object_type, object_id,
            result, context, score_scaled, duration_ms) FROM STDIN (FORMAT BINARY)
        """;

    // One round trip moves the batch: the staged rows are deleted and inserted by one statement, the policies check each
    // row, duplicates (of earlier batches, or within this one) are dropped by the unique client event id, and the rows
    // actually stored come back for the effects.
    const string Move = """
        WITH staged AS (
            DELETE FROM hephaestus.learning_event_staging WHERE batch_id = $1
            RETURNING learner_id, occurred_at, id, client_event_id, verb, object_type, object_id, result, context, score_scaled, duration_ms)
        INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id,
            result, context, score_scaled, duration_ms)
        SELECT learner_id, occurred_at, id, 'native', client_event_id, verb, object_type, object_id, result, context, score_scaled, duration_ms
        FROM staged
        ON CONFLICT (learner_id, client_event_id, occurred_at) WHERE client_event_id IS NOT NULL DO NOTHING
        RETURNING learner_id, occurred_at, id, verb, object_type, object_id, score_scaled, duration_ms, result::text, context::text
        """;

    /// <summary>
    /// Stores a validated batch, all or nothing, and answers after the commit (durable: synchronous_commit is on). A
    /// learner writes their own events; an admin anyone's. The stored rows go to <see cref="EventEffects.ApplyAsync"/>
    /// in the same transaction.
    /// </summary>
    public static async Task<IngestResult> IngestAsync(NpgsqlDataSource db, LearnerRecord learning, Actor actor, EventBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(batch);
        var admin = actor.Has(Role.Admin);
        if (!admin && batch.LearnerIds.Any(l => l != actor.UserId)) return new IngestResult(IngestOutcome.Forbidden, 0, 0);
        if (batch.Valid == 0) return new IngestResult(IngestOutcome.Stored, 0, 0);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await IngestOnceAsync(db, learning, actor, batch, admin, ct);
            }
            catch (PostgresException e) when (attempt == 1 && IsMissingPartition(e))
            {
                // A day without its partition (maintenance has not run since the window moved): make the batch's days, once.
                await EventPartitions.EnsureAsync(db, batch.Days, ct);
            }
        }
    }

    static bool IsMissingPartition(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName is null && e.MessageText.StartsWith("no partition", StringComparison.Ordinal);

    static async Task<IngestResult> IngestOnceAsync(NpgsqlDataSource db, LearnerRecord learning, Actor actor, EventBatch batch, bool admin,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (admin && await UnknownLearnersAsync(scope, batch, ct) is { Count: > 0 } unknown) return new IngestResult(IngestOutcome.Invalid, 0, 0, unknown);

        var batchId = Guid.CreateVersion7();
        await using (var writer = await scope.Connection.BeginBinaryImportAsync(Copy, ct))
        {
            for (var i = 0; i < batch.Valid; i++)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(batchId, NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(batch.LearnerIds[i], NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(batch.OccurredAt[i], NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(batch.ClientEventIds[i], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(batch.Verbs[i], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(batch.ObjectTypes[i], NpgsqlDbType.Text, ct);
                await writer.WriteAsync(batch.ObjectIds[i], NpgsqlDbType.Text, ct);
                await WriteNullableAsync(writer, batch.Results[i], NpgsqlDbType.Jsonb, ct);
                await WriteNullableAsync(writer, batch.Contexts[i], NpgsqlDbType.Jsonb, ct);
                if (batch.ScoresScaled[i] is { } scaled) await writer.WriteAsync(scaled, NpgsqlDbType.Double, ct);
                else await writer.WriteNullAsync(ct);
                if (batch.DurationsMs[i] is { } ms) await writer.WriteAsync(ms, NpgsqlDbType.Bigint, ct);
                else await writer.WriteNullAsync(ct);
            }

            await writer.CompleteAsync(ct);
        }

        var stored = new List<StoredEvent>(batch.Valid);
        await using (var move = scope.Command(Move))
        {
            move.Parameters.Add(SqlParameters.Uuid(batchId));
            await using var reader = await move.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                stored.Add(new StoredEvent(reader.GetGuid(0), reader.GetTime(1), reader.GetGuid(2), "native", reader.GetString(3), reader.GetString(4),
                    reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
                    reader.GetNullableString(8), reader.GetNullableString(9)));
            }
        }

        await EventEffects.ApplyAsync(scope, learning, stored, ct);
        await scope.CommitAsync(ct);
        return new IngestResult(IngestOutcome.Stored, stored.Count, batch.Valid - stored.Count);
    }

    static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type, CancellationToken ct) =>
        value is null ? writer.WriteNullAsync(ct) : writer.WriteAsync(value, type, ct);

    /// <summary>The events (by index) naming a learner who is not a user; read by an admin, who sees every user.</summary>
    static async Task<List<ValidationError>> UnknownLearnersAsync(ActorScope scope, EventBatch batch, CancellationToken ct)
    {
        var named = batch.LearnerIds.Distinct().ToArray();
        await using var command = scope.Command("SELECT id FROM hephaestus.users WHERE id = ANY ($1)");
        command.Parameters.Add(SqlParameters.Uuids(named));
        var known = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) known.Add(reader.GetGuid(0));
        }

        var errors = new List<ValidationError>();
        if (known.Count == named.Length) return errors;
        for (var i = 0; i < batch.Valid && errors.Count < EventBatch.MaxErrors; i++)
        {
            if (!known.Contains(batch.LearnerIds[i])) errors.Add(new ValidationError($"/{batch.IndexOfValid(i)}/learnerId", "is not a user"));
        }

        return errors;
    }

    // The timeline: newest first by (occurred_at, id), on the primary key read backwards. Each filter is its own statement
    // (FilteredListing's reason): a generic plan of "$n IS NULL OR …" would lose the keyset's index bound and the
    // partition pruning that since/until and the cursor give.
    const string TimelineSelect = """
        SELECT id, occurred_at, stored_at, source, client_event_id, verb, object_type, object_id, result, context
        FROM hephaestus.learning_events
        WHERE learner_id = $1 {0}
        ORDER BY occurred_at DESC, id DESC
        LIMIT $2
        """;

    /// <summary>A page of the learner's timeline after the cursor; null when the learner is not visible to the actor.</summary>
    public static async Task<Page<TimelineEvent>?> TimelineAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, TimelineFilter filter,
        TimelineCursor? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        var conditions = new List<string>();
        var values = new List<NpgsqlParameter>();
        void Where(string condition, NpgsqlParameter value)
        {
            values.Add(value);
            conditions.Add(string.Format(CultureInfo.InvariantCulture, condition, $"${values.Count + 2}"));
        }

        if (after is { } cursor)
        {
            Where("AND occurred_at <= {0}", SqlParameters.NullableTime(cursor.OccurredAt));
            Where("AND (occurred_at, id) < ($3, {0})", SqlParameters.Uuid(cursor.Id));
        }

        if (filter.Verb is { } verb) Where("AND verb = {0}", SqlParameters.Text(verb));
        if (filter.ObjectType is { } type) Where("AND object_type = {0}", SqlParameters.Text(type));
        if (filter.ObjectId is { } id) Where("AND object_id = {0}", SqlParameters.Text(id));
        if (filter.Since is { } since) Where("AND occurred_at >= {0}", SqlParameters.NullableTime(since));
        if (filter.Until is { } until) Where("AND occurred_at < {0}", SqlParameters.NullableTime(until));
        if (filter.Source is { } source) Where("AND source = {0}", SqlParameters.Text(source));

        await using var command = scope.Command(string.Format(CultureInfo.InvariantCulture, TimelineSelect, string.Join(' ', conditions)));
        command.Parameters.Add(SqlParameters.Uuid(learnerId));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        foreach (var value in values) command.Parameters.Add(value);
        var rows = new List<TimelineEvent>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new TimelineEvent(reader.GetGuid(0), reader.GetTime(1), reader.GetTime(2), reader.GetString(3), reader.GetNullableString(4),
                    reader.GetString(5), new EventObject(reader.GetString(6), reader.GetString(7)),
                    reader.IsDBNull(8) ? null : reader.GetJson(8), reader.IsDBNull(9) ? null : reader.GetJson(9)));
            }
        }

        await scope.CommitAsync(ct);
        return Paging.Trim(rows, size, r => new TimelineCursor(r.OccurredAt, r.Id).ToString());
    }

    const string LearnerCounts = """
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, verb, count(*)
        FROM hephaestus.learning_events
        WHERE learner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        GROUP BY 1, 2 ORDER BY 1, 2
        """;

    // The cohort's learners whose events the actor may read (an educator of the cohort: all; a learner in it: their own).
    const string CohortCounts = """
        SELECT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.verb, count(*)
        FROM hephaestus.cohort_members m
        JOIN hephaestus.learning_events e ON e.learner_id = m.user_id AND e.occurred_at >= $2 AND e.occurred_at < $3
        WHERE m.cohort_id = $1 AND m.member_role = 'learner'
        GROUP BY 1, 2 ORDER BY 1, 2
        """;

    /// <summary>Counts per UTC day and verb of a learner's events in [from, to); null when the learner is not visible.</summary>
    public static async Task<IReadOnlyList<EventCount>?> CountLearnerAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, DateOnly from, DateOnly to,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        return await CountAsync(scope, LearnerCounts, learnerId, from, to, ct);
    }

    /// <summary>Counts per UTC day and verb of the events of a cohort's learners in [from, to); null when the cohort is not visible.</summary>
    public static async Task<IReadOnlyList<EventCount>?> CountCohortAsync(NpgsqlDataSource db, Actor actor, Guid cohortId, DateOnly from, DateOnly to,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var visible = scope.Command("SELECT 1 FROM hephaestus.cohorts WHERE id = $1"))
        {
            visible.Parameters.Add(SqlParameters.Uuid(cohortId));
            if (await visible.ExecuteScalarAsync(ct) is null) return null;
        }

        return await CountAsync(scope, CohortCounts, cohortId, from, to, ct);
    }

    static async Task<IReadOnlyList<EventCount>> CountAsync(ActorScope scope, string sql, Guid key, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var command = scope.Command(sql);
        command.Parameters.Add(SqlParameters.Uuid(key));
        command.Parameters.Add(SqlParameters.NullableTime(new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        command.Parameters.Add(SqlParameters.NullableTime(new DateTimeOffset(to.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        var counts = new List<EventCount>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) counts.Add(new EventCount(DateOnly.FromDateTime(reader.GetDateTime(0)), reader.GetString(1), reader.GetInt64(2)));
        }

        await scope.CommitAsync(ct);
        return counts;
    }
}

/// <summary>
/// A timeline cursor: the last row's (occurred_at, id), as <c>&lt;microseconds since the Unix epoch&gt;_&lt;id&gt;</c>.
/// The key is the row's own, so events stored meanwhile never shift a page: one newer than the cursor is not in the
/// rest of this walk, one older (a late arrival) is read when the walk reaches its time.
/// </summary>
public readonly record struct TimelineCursor(DateTimeOffset OccurredAt, Guid Id)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(OccurredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10}_{Id:N}");

    public static bool TryParse(string? text, out TimelineCursor cursor)
    {
        cursor = default;
        if (text is null) return false;
        var separator = text.IndexOf('_', StringComparison.Ordinal);
        if (separator < 1 || !long.TryParse(text.AsSpan(0, separator), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var micros)
            || !Guid.TryParseExact(text.AsSpan(separator + 1), "N", out var id)
            || micros is < -62_135_596_800_000_000 or > 253_402_300_799_999_999)
        {
            return false;
        }

        cursor = new TimelineCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
        return true;
    }
}

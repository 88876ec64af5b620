using System.Globalization;
using System.Text.Json.Nodes;
using Hephaestus.Data.Events;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Xapi;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Xapi;

/// <summary>
/// Who writes or reads Statements: the actor, the activity provider whose credentials were used (if any), the authority
/// Agent, and a scoped provider's cohort (its Statements may name only that cohort's learners).
/// </summary>
public sealed record XapiCaller(Actor Actor, Guid? ProviderId, string AuthorityJson, Guid? LearnerScope = null);

/// <summary>A valid Statement of a request, as the client sent it.</summary>
/// <param name="ClientText">The Statement's own JSON text, byte for byte as received.</param>
/// <param name="LearnerKey">The lookup key of the user its actor names (<see cref="XapiAgents.UserKey(System.Text.Json.JsonElement, string)"/>); null when it names none.</param>
/// <param name="Attachments">Its attachment headers with the object-store address of each body that came with the request.</param>
public sealed record XapiNewStatement(string ClientText, XapiStatementFacts Facts, string? LearnerKey, string? ResultJson, string? ContextJson,
    IReadOnlyList<XapiAttachmentObject> Attachments);

/// <summary>An attachment header and, when its body came as a part, the body's SHA-256 in the object store.</summary>
public sealed record XapiAttachmentObject(string Sha2, string ContentType, long Length, string? ObjectSha256);

public enum XapiStoreOutcome
{
    Stored,
    /// <summary>A Statement with the same id and other content is stored already (or one the caller may not read).</summary>
    Conflict,
    /// <summary>The actor names no user the caller may write for.</summary>
    UnknownActor,
    /// <summary>A voiding Statement targets a voiding Statement, which cannot be voided.</summary>
    VoidsVoiding,
    /// <summary>A voiding Statement targets a Statement the caller may not void.</summary>
    VoidForbidden,
    /// <summary>An attachment's body vanished from the object store before its row was written (gc ran meanwhile).</summary>
    AttachmentVanished,
}

/// <param name="Index">The position in the request of the Statement the outcome is about (-1 when Stored).</param>
public sealed record XapiStoreResult(XapiStoreOutcome Outcome, IReadOnlyList<Guid> Ids, int Index = -1);

/// <summary>A stored Statement: its id, stored time and stored text.</summary>
public sealed record XapiStoredStatement(Guid Id, DateTimeOffset Stored, string Text);

/// <summary>The filters of a Statement query (each null or false when not given).</summary>
public sealed record XapiStatementFilter(
    string[]? AgentKeys, bool RelatedAgents, string? Verb, string? Activity, bool RelatedActivities, Guid? Registration,
    DateTimeOffset? Since, DateTimeOffset? Until, bool Ascending);

/// <summary>
/// Where a query's pages stand: <see cref="Bound"/> is fixed at the first page (only Statements stored before it are
/// in any page, so Statements stored meanwhile never shift a page), and the last Statement returned.
/// </summary>
public sealed record XapiCursor(DateTimeOffset Bound, DateTimeOffset? AfterStored, Guid? AfterId);

public sealed record XapiStatementPage(IReadOnlyList<XapiStoredStatement> Statements, XapiCursor? Next, DateTimeOffset ConsistentThrough);

/// <summary>An attachment row of a stored Statement.</summary>
public sealed record XapiStoredAttachment(Guid StatementId, int Position, string Sha2, string ContentType, long Length, string? ObjectSha256);

/// <summary>
/// The Statements of the LRS: stored all or nothing per request, each also a learning event, and read back by id or query.
/// <para>Writes lock in one global order so concurrent batches never deadlock: Statement ids (the inserts run in id
/// order and wait on each other's uncommitted ids), then voided targets (in id order), then attachment bodies (the
/// content body lock, in address order), then the canonical Activity definitions (in id order), then the events' effects.</para>
/// <para>Consistency of reads: a writer marks its transaction (application_name <see cref="WriterMark"/>) before it
/// takes its stored time from the clock; a reader's bound (<see cref="ConsistentThroughSql"/>) is the earlier of its own
/// clock and the start of every marked transaction still running. Every Statement stored before the bound is committed
/// (or rolled back), so the bound is <c>X-Experience-API-Consistent-Through</c> and a page bounded by it never changes.</para>
/// </summary>
public static class XapiStatementStore
{
    const string WriterMark = "hephaestus-xapi-write";

    const string BeginWriteSql = $"""
        SELECT set_config('hephaestus.xapi_provider', coalesce($1::text, ''), true),
               set_config('application_name', '{WriterMark}', true),
               date_trunc('milliseconds', clock_timestamp())
        """;

    const string ConsistentThroughSql = $"""
        SELECT least(date_trunc('milliseconds', clock_timestamp()),
                     (SELECT date_trunc('milliseconds', min(xact_start)) FROM pg_stat_activity
                      WHERE application_name = '{WriterMark}' AND datname = current_database() AND pid <> pg_backend_pid()))
        """;

    // One statement writes both rows of each Statement: its LRS row (in id order: concurrent batches wait on each other's
    // ids in one order) and, for the Statements this request stored (not those whose id was stored already), its learning
    // event. A request refused after this (a conflict, a voiding refused, an attachment gone) rolls both back.
    const string InsertStatements = """
        WITH s AS MATERIALIZED (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[], $7::text[], $8::text[], $9::uuid[], $10::uuid[],
                                 $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::text[], $15::text[], $16::text[], $17::jsonb[], $18::jsonb[],
                                 $19::float8[], $20::bigint[])
                AS s(id, learner, occurred, event, verb, activity, registration, voids, agents, related_agents, related_activities, statement,
                     object_type, object_id, result, context, scaled, duration)),
        stored AS (
            INSERT INTO hephaestus.xapi_statements (statement_id, learner_id, event_occurred_at, event_id, stored, provider_id, verb,
                activity_id, registration, voids, agent_keys, related_agent_keys, related_activity_ids, statement)
            SELECT s.id, s.learner, s.occurred, s.event, $5, $6, s.verb, s.activity, s.registration, s.voids,
                   ARRAY(SELECT jsonb_array_elements_text(s.agents)), ARRAY(SELECT jsonb_array_elements_text(s.related_agents)),
                   ARRAY(SELECT jsonb_array_elements_text(s.related_activities)), s.statement
            FROM s
            ORDER BY s.id
            ON CONFLICT (statement_id) DO NOTHING
            RETURNING statement_id),
        events AS (
            INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, stored_at, source, client_event_id, verb, object_type, object_id,
                result, context, score_scaled, duration_ms)
            SELECT s.learner, s.occurred, s.event, $5, 'xapi', NULL, s.verb, s.object_type, s.object_id, s.result, s.context, s.scaled, s.duration
            FROM s JOIN stored ON stored.statement_id = s.id
            ORDER BY s.learner, s.occurred, s.event)
        SELECT statement_id FROM stored
        """;

    /// <summary>
    /// Stores the Statements of one request, all or nothing. A Statement whose id is stored already is accepted when it
    /// is the same Statement (nothing changes) and refused as a conflict otherwise. <paramref name="objectIsStored"/> is
    /// asked, under each body's lock, whether an attachment body is still in the object store.
    /// </summary>
    public static async Task<XapiStoreResult> StoreAsync(NpgsqlDataSource db, LearnerRecord learning, XapiCaller caller, IReadOnlyList<XapiNewStatement> statements,
        Func<string, CancellationToken, Task<bool>> objectIsStored, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentNullException.ThrowIfNull(objectIsStored);
        await using var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        // The transaction's mark and stored time, and the users the actors name (each distinct key once), in one round trip.
        DateTimeOffset stored;
        Dictionary<string, XapiAgentUser> users;
        var keys = statements.Select(s => s.LearnerKey).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        await using (var begin = scope.Batch())
        {
            var mark = new NpgsqlBatchCommand(BeginWriteSql);
            mark.Parameters.Add(Text(caller.ProviderId?.ToString("D")));
            begin.BatchCommands.Add(mark);
            if (keys.Count > 0) begin.BatchCommands.Add(XapiAgents.UsersCommand(keys, caller.LearnerScope));
            await using var reader = await begin.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            stored = reader.GetTime(2);
            users = keys.Count > 0 && await reader.NextResultAsync(ct) ? await XapiAgents.ReadUsersAsync(reader, ct) : new(StringComparer.Ordinal);
        }

        for (var i = 0; i < statements.Count; i++)
        {
            if (statements[i].LearnerKey is not { } key || !users.ContainsKey(key)) return new(XapiStoreOutcome.UnknownActor, [], i);
        }

        var storedText = stored.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var made = new Queue<Guid>(MadeIds(statements.Count(s => s.Facts.Id is null), stored));
        var rows = statements.Select((s, i) =>
        {
            var id = s.Facts.Id ?? made.Dequeue();
            return new Row(i, id, users[s.LearnerKey!].Id, s.Facts.Timestamp ?? stored, Guid.CreateVersion7(s.Facts.Timestamp ?? stored), s,
                XapiStatementText.Complete(s.ClientText, new XapiAdditions(id, storedText, caller.AuthorityJson)));
        }).OrderBy(r => r.Id).ToList();

        var inserted = await InsertAsync(scope, rows, stored, caller.ProviderId, ct);
        if (await FirstConflictAsync(scope, rows.Where(r => !inserted.Contains(r.Id)).ToList(), ct) is { } conflict) return new(XapiStoreOutcome.Conflict, [], conflict);
        var fresh = rows.Where(r => inserted.Contains(r.Id)).ToList();
        if (await VoidAsync(scope, fresh, ct) is { } voidRefusal) return voidRefusal;
        if (await AttachAsync(scope, fresh, objectIsStored, ct) is { } vanished) return new(XapiStoreOutcome.AttachmentVanished, [], vanished);
        // The canonical definitions (xAPI: the LRS SHOULD keep them) in the same transaction: a request refused above
        // defines nothing, and a Statement sent again (stored before) has defined its activities already.
        await XapiActivityStore.RecordDefinitionsAsync(scope,
            [.. fresh.OrderBy(r => r.Index).SelectMany(r => r.Statement.Facts.ActivityDefinitions).Select(d => new XapiActivityDefinition(d.Id, d.Definition))], ct);
        // Only the Statements this request stored become events with effects: one sent again changes nothing.
        await EventEffects.ApplyAsync(scope, learning, [.. fresh.Select(r => new StoredEvent(r.Learner, r.Occurred, r.EventId, "xapi", r.Statement.Facts.Verb,
            r.Statement.Facts.ObjectType, r.Statement.Facts.ObjectId, r.Statement.Facts.ScoreScaled, r.Statement.Facts.DurationMs, r.Statement.ResultJson,
            r.Statement.ContextJson))], ct);
        await scope.CommitAsync(ct);
        return new(XapiStoreOutcome.Stored, [.. rows.OrderBy(r => r.Index).Select(r => r.Id)]);
    }

    /// <summary>
    /// Ids for the Statements of a request that came without one, ascending as PostgreSQL orders uuids (byte by byte,
    /// the order of their hex text), to be given out in request order. Queries order Statements of one stored time by
    /// id, so a batch reads back in the order it was sent (newest first: last sent first). Version 7 ids of one
    /// millisecond differ only in their random bits, which would otherwise order a batch at random.
    /// </summary>
    static IEnumerable<Guid> MadeIds(int count, DateTimeOffset stored) =>
        Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7(stored)).OrderBy(id => id.ToString("N"), StringComparer.Ordinal);

    sealed record Row(int Index, Guid Id, Guid Learner, DateTimeOffset Occurred, Guid EventId, XapiNewStatement Statement, string Text);

    static async Task<HashSet<Guid>> InsertAsync(ActorScope scope, List<Row> rows, DateTimeOffset stored, Guid? provider, CancellationToken ct)
    {
        static string Json(IEnumerable<string> values) => new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]).ToJsonString();
        await using var insert = scope.Command(InsertStatements);
        insert.Parameters.Add(Uuids([.. rows.Select(r => r.Id)]));
        insert.Parameters.Add(Uuids([.. rows.Select(r => r.Learner)]));
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. rows.Select(r => r.Occurred)] });
        insert.Parameters.Add(Uuids([.. rows.Select(r => r.EventId)]));
        insert.Parameters.Add(NullableTime(stored));
        insert.Parameters.Add(NullableUuid(provider));
        insert.Parameters.Add(TextArray([.. rows.Select(r => r.Statement.Facts.Verb)]));
        insert.Parameters.Add(TextArray([.. rows.Select(r => r.Statement.Facts.ObjectType == "Activity" ? r.Statement.Facts.ObjectId : null)]));
        insert.Parameters.Add(NullableUuids(rows.Select(r => r.Statement.Facts.Registration)));
        insert.Parameters.Add(NullableUuids(rows.Select(r => r.Statement.Facts.Voids)));
        insert.Parameters.Add(JsonbArray(rows.Select(r => Json(r.Statement.Facts.AgentKeys))));
        insert.Parameters.Add(JsonbArray(rows.Select(r => Json(r.Statement.Facts.RelatedAgentKeys))));
        insert.Parameters.Add(JsonbArray(rows.Select(r => Json(r.Statement.Facts.RelatedActivityIds))));
        insert.Parameters.Add(TextArray([.. rows.Select(r => r.Text)]));
        insert.Parameters.Add(TextArray([.. rows.Select(r => r.Statement.Facts.ObjectType)]));
        insert.Parameters.Add(TextArray([.. rows.Select(r => r.Statement.Facts.ObjectId)]));
        insert.Parameters.Add(JsonbArray(rows.Select(r => r.Statement.ResultJson)));
        insert.Parameters.Add(JsonbArray(rows.Select(r => r.Statement.ContextJson)));
        insert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => (object?)r.Statement.Facts.ScoreScaled ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        insert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => (object?)r.Statement.Facts.DurationMs ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var inserted = new HashSet<Guid>();
        await using var reader = await insert.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) inserted.Add(reader.GetGuid(0));
        return inserted;
    }

    static NpgsqlParameter JsonbArray(IEnumerable<string?> values) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };

    /// <summary>The request index of the first Statement whose id is stored with other content (or invisibly to the caller).</summary>
    static async Task<int?> FirstConflictAsync(ActorScope scope, List<Row> existing, CancellationToken ct)
    {
        if (existing.Count == 0) return null;
        await using var read = scope.Command("SELECT statement_id, statement FROM hephaestus.xapi_statements WHERE statement_id = ANY ($1)");
        read.Parameters.Add(Uuids([.. existing.Select(r => r.Id)]));
        var texts = new Dictionary<Guid, string>();
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) texts[reader.GetGuid(0)] = reader.GetString(1);
        }

        return existing.Where(r => !texts.TryGetValue(r.Id, out var text)
                || !XapiStatementComparison.Same(JsonNode.Parse(r.Statement.ClientText)!.AsObject(), JsonNode.Parse(text)!.AsObject()))
            .Select(r => (int?)r.Index).Min();
    }

    static async Task<XapiStoreResult?> VoidAsync(ActorScope scope, List<Row> fresh, CancellationToken ct)
    {
        var voiding = fresh.Where(r => r.Statement.Facts.Voids is not null).OrderBy(r => r.Statement.Facts.Voids).ToList();
        if (voiding.Count == 0) return null;
        var targets = new Dictionary<Guid, (bool IsVoiding, bool MayVoid)>();
        await using (var read = scope.Command("SELECT statement_id, is_voiding, may_void FROM hephaestus.xapi_void_targets($1)"))
        {
            read.Parameters.Add(Uuids([.. voiding.Select(r => r.Statement.Facts.Voids!.Value)]));
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) targets[reader.GetGuid(0)] = (reader.GetBoolean(1), reader.GetBoolean(2));
        }

        foreach (var row in voiding.OrderBy(r => r.Index))
        {
            if (!targets.TryGetValue(row.Statement.Facts.Voids!.Value, out var target)) continue;
            if (target.IsVoiding) return new(XapiStoreOutcome.VoidsVoiding, [], row.Index);
            if (!target.MayVoid) return new(XapiStoreOutcome.VoidForbidden, [], row.Index);
        }

        await using var insert = scope.Command("""
            INSERT INTO hephaestus.xapi_voided (statement_id, voided_by)
            SELECT t, v FROM unnest($1::uuid[], $2::uuid[]) AS x(t, v) ORDER BY t
            ON CONFLICT (statement_id) DO NOTHING
            """);
        insert.Parameters.Add(Uuids([.. voiding.Select(r => r.Statement.Facts.Voids!.Value)]));
        insert.Parameters.Add(Uuids([.. voiding.Select(r => r.Id)]));
        await insert.ExecuteNonQueryAsync(ct);
        return null;
    }

    /// <summary>
    /// The attachment rows, after checking under each body's lock (the lock `content gc` takes) that its object is still
    /// stored; the request index of a Statement whose body vanished.
    /// </summary>
    static async Task<int?> AttachAsync(ActorScope scope, List<Row> fresh, Func<string, CancellationToken, Task<bool>> objectIsStored, CancellationToken ct)
    {
        var items = fresh.SelectMany(r => r.Statement.Attachments.Select((a, position) => (Row: r, Position: position, Attachment: a))).ToList();
        if (items.Count == 0) return null;
        var objects = items.Select(i => i.Attachment.ObjectSha256).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (objects.Count > 0)
        {
            await using var take = scope.Command("""
                SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended('hephaestus.content_body:' || o, 0) AS k
                                                      FROM unnest($1::text[]) o ORDER BY o OFFSET 0) l
                """);
            take.Parameters.Add(TextArray([.. objects]));
            await take.ExecuteNonQueryAsync(ct);
            foreach (var sha256 in objects)
            {
                if (!await objectIsStored(sha256, ct)) return items.First(i => i.Attachment.ObjectSha256 == sha256).Row.Index;
            }
        }

        await using var insert = scope.Command("""
            INSERT INTO hephaestus.xapi_attachments (statement_id, position, sha2, content_type, length, object_sha256)
            SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[])
            """);
        insert.Parameters.Add(Uuids([.. items.Select(i => i.Row.Id)]));
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. items.Select(i => i.Position)] });
        insert.Parameters.Add(TextArray([.. items.Select(i => i.Attachment.Sha2)]));
        insert.Parameters.Add(TextArray([.. items.Select(i => i.Attachment.ContentType)]));
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. items.Select(i => i.Attachment.Length)] });
        insert.Parameters.Add(TextArray([.. items.Select(i => i.Attachment.ObjectSha256)]));
        await insert.ExecuteNonQueryAsync(ct);
        return null;
    }

    // Reading ----------------------------------------------------------------------------------------------------------

    static async Task<ActorScope> BeginReadAsync(NpgsqlDataSource db, XapiCaller caller, CancellationToken ct)
    {
        var scope = await ActorScope.BeginAsync(db, caller.Actor, ct);
        await using var provider = scope.Command("SELECT set_config('hephaestus.xapi_provider', coalesce($1::text, ''), true)");
        provider.Parameters.Add(Text(caller.ProviderId?.ToString("D")));
        await provider.ExecuteNonQueryAsync(ct);
        return scope;
    }

    static async Task<DateTimeOffset> ConsistentThroughAsync(ActorScope scope, CancellationToken ct)
    {
        await using var command = scope.Command(ConsistentThroughSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetTime(0);
    }

    /// <summary>
    /// One Statement by id: <paramref name="voided"/> false finds it only when it is not voided (statementId), true only
    /// when it is (voidedStatementId). Null when there is none the caller may read.
    /// </summary>
    public static async Task<(XapiStoredStatement? Statement, DateTimeOffset ConsistentThrough)> GetAsync(NpgsqlDataSource db, XapiCaller caller, Guid id, bool voided,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await using var scope = await BeginReadAsync(db, caller, ct);
        var through = await ConsistentThroughAsync(scope, ct);
        await using var read = scope.Command("""
            SELECT s.statement_id, s.stored, s.statement FROM hephaestus.xapi_statements s
            WHERE s.statement_id = $1
              AND (s.voids IS NULL AND EXISTS (SELECT 1 FROM hephaestus.xapi_voided v WHERE v.statement_id = s.statement_id)) = $2
            """);
        read.Parameters.Add(Uuid(id));
        read.Parameters.Add(Bool(voided));
        await using var reader = await read.ExecuteReaderAsync(ct);
        return (await reader.ReadAsync(ct) ? new(reader.GetGuid(0), reader.GetTime(1), reader.GetString(2)) : null, through);
    }

    /// <summary>
    /// A page of the Statements matching the filter, not voided, ordered by stored time (newest first unless ascending),
    /// bounded by the cursor's bound (the first page takes the consistent-through time as its bound).
    /// </summary>
    public static async Task<XapiStatementPage> QueryAsync(NpgsqlDataSource db, XapiCaller caller, XapiStatementFilter filter, int limit, XapiCursor? cursor,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await BeginReadAsync(db, caller, ct);
        var through = await ConsistentThroughAsync(scope, ct);
        var bound = cursor?.Bound ?? through;
        await using var read = scope.Command("");
        var sql = new System.Text.StringBuilder("""
            SELECT s.statement_id, s.stored, s.statement FROM hephaestus.xapi_statements s
            WHERE s.stored < $1
              AND (s.voids IS NOT NULL OR NOT EXISTS (SELECT 1 FROM hephaestus.xapi_voided v WHERE v.statement_id = s.statement_id))
            """);
        read.Parameters.Add(NullableTime(bound));
        void Where(string condition, NpgsqlParameter parameter)
        {
            read.Parameters.Add(parameter);
            sql.Append("\n  AND ").Append(condition.Replace("$p", "$" + read.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (filter.AgentKeys is { } agents) Where(filter.RelatedAgents ? "s.related_agent_keys && $p" : "s.agent_keys && $p", TextArray(agents));
        if (filter.Verb is { } verb) Where("s.verb = $p", Text(verb));
        if (filter.Activity is { } activity) Where(filter.RelatedActivities ? "s.related_activity_ids @> ARRAY[$p]" : "s.activity_id = $p", Text(activity));
        if (filter.Registration is { } registration) Where("s.registration = $p", Uuid(registration));
        if (filter.Since is { } since) Where("s.stored > $p", NullableTime(since));
        if (filter.Until is { } until) Where("s.stored <= $p", NullableTime(until));
        var direction = filter.Ascending ? "ASC" : "DESC";
        if (cursor is { AfterStored: { } afterStored, AfterId: { } afterId })
        {
            Where(filter.Ascending ? "(s.stored, s.statement_id) > ($p" : "(s.stored, s.statement_id) < ($p", NullableTime(afterStored));
            read.Parameters.Add(Uuid(afterId));
            sql.Append(", $").Append(read.Parameters.Count.ToString(CultureInfo.InvariantCulture)).Append(')');
        }

        sql.Append($"\nORDER BY s.stored {direction}, s.statement_id {direction} LIMIT ").Append((limit + 1).ToString(CultureInfo.InvariantCulture));
        read.CommandText = sql.ToString();
        var statements = new List<XapiStoredStatement>();
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) statements.Add(new(reader.GetGuid(0), reader.GetTime(1), reader.GetString(2)));
        }

        XapiCursor? next = null;
        if (statements.Count > limit)
        {
            statements.RemoveAt(limit);
            next = new(bound, statements[^1].Stored, statements[^1].Id);
        }

        return new(statements, next, through);
    }

    /// <summary>The attachment rows of these Statements (as the caller may read them), in Statement and position order.</summary>
    public static async Task<List<XapiStoredAttachment>> AttachmentsAsync(NpgsqlDataSource db, XapiCaller caller, IReadOnlyCollection<Guid> statementIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await using var scope = await BeginReadAsync(db, caller, ct);
        await using var read = scope.Command("""
            SELECT statement_id, position, sha2, content_type, length, object_sha256 FROM hephaestus.xapi_attachments
            WHERE statement_id = ANY ($1) ORDER BY statement_id, position
            """);
        read.Parameters.Add(Uuids([.. statementIds]));
        var rows = new List<XapiStoredAttachment>();
        await using var reader = await read.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new(reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetNullableString(5)));
        }

        return rows;
    }
}

using System.Text.Json;
using Hephaestus.Data;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>Everything a submission reads, in one batch (one round trip).</summary>
internal sealed class SubmissionReads
{
    public bool KeyLocked { get; private set; } = true;
    public (byte[] Hash, int Status, string Body)? Previous { get; private set; }
    public AttemptRow? Attempt { get; private set; }
    public Dictionary<Guid, ItemVersionRow> Items { get; } = [];
    public Dictionary<Guid, JsonElement> Responses { get; } = [];
    public AssessmentSettings? Settings { get; private set; }

    const string AttemptFilter = "learner_id = $1 AND id = $2";

    public static async Task<SubmissionReads> ReadAsync(ActorScope scope, Guid learnerId, Guid attemptId, string key, CancellationToken ct)
    {
        NpgsqlParameter[] Ids() => [new NpgsqlParameter<Guid> { TypedValue = learnerId }, new NpgsqlParameter<Guid> { TypedValue = attemptId }];
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction);
        if (key.Length > 0)
        {
            // A try-lock, not a lock: a duplicate arriving while the first still runs is told so (409) instead of waiting.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))")
            {
                Parameters = { new NpgsqlParameter<Guid> { TypedValue = learnerId }, new NpgsqlParameter<string> { TypedValue = key } },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT request_hash, response_status, response_body FROM hephaestus.idempotency_keys WHERE learner_id = $1 AND key = $2")
            {
                Parameters = { new NpgsqlParameter<Guid> { TypedValue = learnerId }, new NpgsqlParameter<string> { TypedValue = key } },
            });
        }

        var attempt = new NpgsqlBatchCommand($"""
            SELECT id, learner_id, assessment_id, number, status, started_at, deadline_at, submitted_at, item_version_ids
            FROM hephaestus.attempts WHERE {AttemptFilter} FOR UPDATE
            """);
        attempt.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(attempt);
        var items = new NpgsqlBatchCommand($"""
            SELECT v.id, v.definition::text,
                   (SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)::text
            FROM hephaestus.item_versions v WHERE v.id = ANY ((SELECT item_version_ids FROM hephaestus.attempts WHERE {AttemptFilter})::uuid[])
            """);
        items.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(items);
        var responses = new NpgsqlBatchCommand("""
            SELECT r.item_version_id, r.response::text FROM hephaestus.attempt_responses r JOIN hephaestus.attempts a ON a.learner_id = r.learner_id AND a.id = r.attempt_id
            WHERE r.learner_id = $1 AND r.attempt_id = $2 AND (a.deadline_at IS NULL OR r.saved_at <= a.deadline_at)
            """);
        responses.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(responses);
        var settings = new NpgsqlBatchCommand($"SELECT settings::text FROM hephaestus.assessments WHERE id = (SELECT assessment_id FROM hephaestus.attempts WHERE {AttemptFilter})");
        settings.Parameters.AddRange(Ids());
        batch.BatchCommands.Add(settings);

        var reads = new SubmissionReads();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (key.Length > 0)
        {
            await reader.ReadAsync(ct);
            reads.KeyLocked = reader.GetBoolean(0);
            await reader.NextResultAsync(ct);
            if (await reader.ReadAsync(ct)) reads.Previous = (reader.GetFieldValue<byte[]>(0), reader.GetInt32(1), reader.GetString(2));
            await reader.NextResultAsync(ct);
        }

        if (await reader.ReadAsync(ct))
        {
            reads.Attempt = new AttemptRow(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<Guid[]>(8));
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = AttemptSql.ReadItemVersion(reader);
            reads.Items[row.Id] = row;
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct)) reads.Responses[reader.GetGuid(0)] = JsonDocument.Parse(reader.GetString(1)).RootElement.Clone();
        await reader.NextResultAsync(ct);
        if (await reader.ReadAsync(ct)) reads.Settings = JsonSerializer.Deserialize<AssessmentSettings>(reader.GetString(0), JsonSerializerOptions.Web);
        return reads;
    }
}

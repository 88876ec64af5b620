using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Domain.Assessments;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>An attempt row, locked or not.</summary>
internal sealed record AttemptRow(Guid Id, Guid LearnerId, Guid AssessmentId, int Number, string Status, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt, DateTimeOffset? SubmittedAt, Guid[] ItemVersionIds);

/// <summary>An item version with its definition and skill alignment.</summary>
internal sealed record ItemVersionRow(Guid Id, ItemDefinition Definition, IReadOnlyList<SkillAlignment> Skills);

internal static class AttemptSql
{
    public static async Task<AttemptRow?> ReadAttemptAsync(ActorScope scope, Guid learnerId, Guid attemptId, bool forUpdate, CancellationToken ct)
    {
        await using var command = scope.Command($"""
            SELECT id, learner_id, assessment_id, number, status, started_at, deadline_at, submitted_at, item_version_ids
            FROM hephaestus.attempts WHERE learner_id = $1 AND id = $2 {(forUpdate ? "FOR UPDATE" : "")}
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = attemptId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new AttemptRow(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3), reader.GetString(4),
            reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<Guid[]>(8));
    }

    /// <summary>Definitions are parsed back through the validating parser: what is stored is what the scorer understands.</summary>
    public static async Task<Dictionary<Guid, ItemVersionRow>> ReadItemVersionsAsync(ActorScope scope, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT v.id, v.definition::text,
                   (SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)::text
            FROM hephaestus.item_versions v WHERE v.id = ANY ($1)
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.ToArray() });
        var rows = new Dictionary<Guid, ItemVersionRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = ReadItemVersion(reader);
            rows[row.Id] = row;
        }

        return rows;
    }

    /// <summary>Columns: id, definition::text, alignment JSON.</summary>
    public static ItemVersionRow ReadItemVersion(NpgsqlDataReader reader)
    {
        using var definition = JsonDocument.Parse(reader.GetString(1));
        var (item, errors) = ItemDefinitionParser.Parse(definition.RootElement);
        if (item is null) throw new InvalidOperationException($"stored item version {reader.GetGuid(0)} no longer parses: {string.Join("; ", errors)}");
        return new ItemVersionRow(reader.GetGuid(0), item, JsonSerializer.Deserialize<List<SkillAlignment>>(reader.GetString(2), JsonSerializerOptions.Web) ?? []);
    }

    public static async Task<Dictionary<Guid, JsonElement>> ReadResponsesAsync(ActorScope scope, Guid learnerId, Guid attemptId, DateTimeOffset? savedBefore, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT item_version_id, response::text FROM hephaestus.attempt_responses
            WHERE learner_id = $1 AND attempt_id = $2 AND ($3::timestamptz IS NULL OR saved_at <= $3)
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = attemptId });
        command.Parameters.Add(new NpgsqlParameter { Value = savedBefore is { } t ? t : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var responses = new Dictionary<Guid, JsonElement>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) responses[reader.GetGuid(0)] = JsonDocument.Parse(reader.GetString(1)).RootElement.Clone();
        return responses;
    }

    public static async Task SaveResponseAsync(ActorScope scope, Guid learnerId, Guid attemptId, Guid itemVersionId, JsonElement response, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (learner_id, attempt_id, item_version_id) DO UPDATE SET response = excluded.response, saved_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = attemptId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemVersionId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = response.GetRawText() });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Scores every item of an attempt on the server; an unanswered item (or one no longer answerable after a key fix) scores 0.</summary>
    public static List<(ItemVersionRow Item, ItemScore Score)> Score(IReadOnlyList<Guid> order, IReadOnlyDictionary<Guid, ItemVersionRow> items,
        IReadOnlyDictionary<Guid, JsonElement> responses)
    {
        var scores = new List<(ItemVersionRow, ItemScore)>(order.Count);
        foreach (var id in order)
        {
            var item = items[id];
            ItemScore score = new(0, 0, item.Definition.Points, false);
            if (responses.TryGetValue(id, out var json))
            {
                var (response, errors) = ItemResponseParser.Parse(item.Definition, json);
                if (response is not null && errors.Count == 0) score = ItemScorer.Score(item.Definition, response);
            }

            scores.Add((item, score));
        }

        return scores;
    }
}

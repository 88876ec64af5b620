using System.Text.Json;
using Npgsql;

namespace Hephaestus.Data.Xapi;

/// <summary>An Activity definition a statement carried: its id (IRI) and its definition object.</summary>
public sealed record XapiActivityDefinition(string Id, JsonElement Definition);

/// <summary>
/// The canonical Activity definitions the LRS knows (GET /xapi/activities). They are learned from statements: the
/// Statements resource calls <see cref="RecordDefinitionsAsync"/> in its own transaction with the definitions a batch
/// carries. A later definition's top-level properties replace the earlier ones (jsonb ||), so a provider that adds a
/// description keeps the name another sent; a definition that changes nothing writes nothing.
/// </summary>
public static class XapiActivityStore
{
    // One statement per batch; ids sorted (and made unique, the last definition of an id winning) so that concurrent
    // batches lock the same rows in the same order and cannot deadlock.
    const string Upsert = """
        INSERT INTO hephaestus.xapi_activities AS a (id, definition)
        SELECT DISTINCT ON (d.id) d.id, d.definition
        FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS d(id, definition, position)
        ORDER BY d.id, d.position DESC
        ON CONFLICT (id) DO UPDATE SET definition = a.definition || EXCLUDED.definition, updated_at = now()
        WHERE a.definition IS DISTINCT FROM a.definition || EXCLUDED.definition
        """;

    const string ReadOne = "SELECT definition FROM hephaestus.xapi_activities WHERE id = $1";

    /// <summary>Keeps the definitions in the caller's transaction; activities without a definition need no call.</summary>
    public static async Task RecordDefinitionsAsync(ActorScope scope, IReadOnlyCollection<XapiActivityDefinition> definitions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(definitions);
        if (definitions.Count == 0) return;
        await using var command = scope.Command(Upsert);
        command.Parameters.Add(SqlParameters.TextArray(definitions.Select(d => d.Id).ToArray()));
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = definitions.Select(d => d.Definition.GetRawText()).ToArray(),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb,
        });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The canonical definition of an activity; null when no statement defined it.</summary>
    public static async Task<JsonElement?> GetDefinitionAsync(NpgsqlDataSource db, Actor actor, string activityId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(ReadOne);
        command.Parameters.Add(SqlParameters.Text(activityId));
        JsonElement? definition = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct)) definition = reader.GetJson(0);
        }

        await scope.CommitAsync(ct);
        return definition;
    }
}

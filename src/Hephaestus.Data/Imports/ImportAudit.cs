using System.Text.Json;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Imports;

/// <summary>The audit row of an import (Sql/0017_imports.sql): who, what kind, how many lines, what changed.</summary>
internal static class ImportAudit
{
    public static NpgsqlBatchCommand Record(Guid id, string kind, Actor actor, int lines, IReadOnlyDictionary<string, ImportCounts> counts) => new(
        "INSERT INTO hephaestus.imports (id, kind, actor_id, lines, counts) VALUES ($1, $2, $3, $4, $5)")
    {
        Parameters = { Uuid(id), Text(kind), NullableUuid(actor.PersonId), Int(lines), JsonbOf(counts, JsonSerializerOptions.Web) },
    };
}

/// <summary>
/// Imports of one kind run one at a time: a second waits for the first (longer than the API's lock_timeout and statement_timeout, which is
/// for a row a request needs: an import takes seconds), then finds the first's rows; the usual limit applies again to
/// every later lock of the transaction.
/// </summary>
internal static class ImportLock
{
    public static IEnumerable<NpgsqlBatchCommand> Commands(string kind) =>
    [
        new("SET LOCAL lock_timeout = '60s'"),
        new("SET LOCAL statement_timeout = '60s'"),
        new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))") { Parameters = { Text("hephaestus.import." + kind) } },
        new("SET LOCAL lock_timeout = DEFAULT"),
        new("SET LOCAL statement_timeout = DEFAULT"),
    ];
}

/// <summary>The imports a user made (who imported what is about them), for their personal data export.</summary>
public sealed class ImportsMadeSection() : JsonSection("importsMade", """
    SELECT coalesce(json_agg(json_build_object('importId', i.id, 'kind', i.kind, 'lines', i.lines, 'counts', i.counts, 'importedAt', i.imported_at)
        ORDER BY i.imported_at), '[]')
    FROM hephaestus.imports i
    WHERE i.actor_id = $1
    """);

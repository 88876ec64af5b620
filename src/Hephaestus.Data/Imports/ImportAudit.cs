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

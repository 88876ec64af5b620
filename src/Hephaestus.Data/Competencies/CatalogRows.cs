using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>Small reads the catalog's stores share.</summary>
internal static class CatalogRows
{
    /// <summary>Whether the query (with the id as $1) returns a row.</summary>
    public static async Task<bool> ExistsAsync(ActorScope scope, string sql, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command(sql);
        command.Parameters.Add(Uuid(id));
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}

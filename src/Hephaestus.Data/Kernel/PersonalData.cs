using System.Text.Json;

namespace Hephaestus.Data;

/// <summary>
/// A part of "everything the system holds about a user". Each feature that stores learner data defines one beside its
/// SQL and the host registers it, so the export grows with the product instead of being a list someone must remember.
/// </summary>
public interface IPersonalDataSection
{
    string Name { get; }

    /// <summary>Reads the section inside the export's transaction (one snapshot for the whole export).</summary>
    Task<object?> ReadAsync(ActorScope scope, Guid userId, CancellationToken ct);
}

/// <summary>A section that is one query producing JSON in PostgreSQL (json_agg over the user's rows), read as a whole.</summary>
public abstract class JsonSection(string name, string sql) : IPersonalDataSection
{
    public string Name => name;

    public async Task<object?> ReadAsync(ActorScope scope, Guid userId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command(sql);
        command.Parameters.Add(SqlParameters.Uuid(userId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && !reader.IsDBNull(0) ? reader.GetJson(0) : JsonDocument.Parse("[]").RootElement.Clone();
    }
}

using System.Text.Json;
using Hephaestus.Domain.Mastery;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data.Mastery;

/// <summary>A skill's mastery configuration before and after <see cref="SkillBktParameters.ApplyAsync"/>.</summary>
public sealed record SkillMasteryChange(string? MethodBefore, string? ParametersBefore, string MethodAfter, string ParametersAfter);

public static class SkillBktParameters
{
    /// <summary>
    /// Stores fitted BKT parameters on one skill, as the schema owner, in one statement: the five camelCase keys are
    /// merged into the skill's mastery_parameters (other keys, such as a mastery threshold, are kept) and the skill's
    /// method becomes 'bkt'. Returns the configuration before and after, or null when the skill does not exist.
    /// </summary>
    public static async Task<SkillMasteryChange?> ApplyAsync(NpgsqlDataSource owner, Guid skillId, BktParameters parameters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        // The CTE reads (and locks) the row as it was; UPDATE … FROM joins it, so RETURNING shows both sides.
        await using var command = owner.CreateCommand("""
            WITH before AS (
                SELECT id, mastery_method, mastery_parameters FROM hephaestus.skills WHERE id = $1 FOR UPDATE
            )
            UPDATE hephaestus.skills s
            SET mastery_parameters = coalesce(s.mastery_parameters, '{}') || $2::jsonb,
                mastery_method = 'bkt'
            FROM before
            WHERE s.id = before.id
            RETURNING before.mastery_method, before.mastery_parameters::text, s.mastery_method, s.mastery_parameters::text
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = skillId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(parameters), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new SkillMasteryChange(
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3));
    }
}

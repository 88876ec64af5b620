using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>
/// Filters of the assessment list, each optional: words of the title or description (web search syntax), a skill that
/// the current version assesses (a pool of the skill or an item aligned to it), a status.
/// </summary>
public sealed record AssessmentFilter(string? Text = null, Guid? SkillId = null, AssessmentStatus? Status = null);

public static partial class AssessmentStore
{
    /// <summary>Assessments in id (creation) order, keyset paged.</summary>
    public static async Task<Page<Assessment>> ListAsync(NpgsqlDataSource db, Actor actor, AssessmentFilter filter, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // Only the filters given are in the statement: with auto-prepared statements, a generic plan of "$n IS NULL OR …"
        // could not use the text search index.
        var conditions = new List<string> { "($1::uuid IS NULL OR a.id > $1)" };
        await using var command = scope.Command("");
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        if (filter.Text is { } text)
        {
            command.Parameters.Add(Text(text));
            conditions.Add($"to_tsvector('english', a.title || ' ' || coalesce(a.description, '')) @@ websearch_to_tsquery('english', ${command.Parameters.Count})");
        }

        if (filter.SkillId is { } skill)
        {
            command.Parameters.Add(Uuid(skill));
            conditions.Add($"""
                EXISTS (SELECT 1 FROM hephaestus.assessment_parts p
                        LEFT JOIN hephaestus.items i ON i.id = p.item_id
                        LEFT JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = coalesce(p.item_version, i.current_version)
                        WHERE p.assessment_id = a.id AND p.version = a.version
                          AND (p.pool_skill_id = ${command.Parameters.Count}
                               OR EXISTS (SELECT 1 FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id AND s.skill_id = ${command.Parameters.Count})))
                """);
        }

        if (filter.Status is { } status)
        {
            command.Parameters.Add(Text(Domain.WireNames<AssessmentStatus>.Of(status)));
            conditions.Add($"a.status = ${command.Parameters.Count}");
        }

        command.CommandText = $"SELECT {Columns} FROM hephaestus.assessments a WHERE {string.Join(" AND ", conditions)} ORDER BY a.id LIMIT $2";
        var rows = new List<Assessment>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(ReadAssessment(reader));
        }

        return Paging.TrimById(rows, size, a => a.Id);
    }
}

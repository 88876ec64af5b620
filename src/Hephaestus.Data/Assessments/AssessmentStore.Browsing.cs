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
        var listing = new FilteredListing("a.id");
        if (filter.Text is { } text)
        {
            // The expression of ix_assessments_search, to the letter.
            listing.Where("to_tsvector('english', a.title || ' ' || coalesce(a.description, '')) @@ websearch_to_tsquery('english', {0})", Text(text));
        }

        if (filter.SkillId is { } skill)
        {
            listing.Where("""
                EXISTS (SELECT 1 FROM hephaestus.assessment_parts p
                        LEFT JOIN hephaestus.items i ON i.id = p.item_id
                        LEFT JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = coalesce(p.item_version, i.current_version)
                        WHERE p.assessment_id = a.id AND p.version = a.version
                          AND (p.pool_skill_id = {0}
                               OR EXISTS (SELECT 1 FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id AND s.skill_id = {0})))
                """, Uuid(skill));
        }

        if (filter.Status is { } status) listing.Where("a.status = {0}", Text(Domain.WireNames<AssessmentStatus>.Of(status)));
        return await listing.ReadAsync(scope, $"SELECT {Columns} FROM hephaestus.assessments a WHERE {{0}} ORDER BY a.id LIMIT $2", after, size, ReadAssessment,
            a => a.Id, ct);
    }
}

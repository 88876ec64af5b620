using System.Globalization;
using System.Text.Json;

namespace Hephaestus.Testing;

/// <summary>
/// Arranges catalog rows directly as the schema owner (a default five-level scale, a framework, skills), so tests of
/// paths, enrollments and assessments do not depend on the authoring endpoints they are not about.
/// </summary>
public static class Catalog
{
    /// <summary>
    /// A content item every API test database holds (<see cref="ApiDatabase"/> inserts it), for path steps of kind
    /// content in tests that are not about content: a foreign key holds a content step to an existing item.
    /// </summary>
    public static readonly Guid Lesson = new("0190c0de-0000-7000-8000-00000000c0de");

    internal static Task InsertLessonAsync(TestDatabase db) => db.ExecuteAsync(
        "INSERT INTO hephaestus.content_items (id, key, kind, title) VALUES ($1, 'testing/lesson', 'lesson', 'A lesson')", Lesson);

    public static async Task<Guid> ScaleAsync(TestDatabase db)
    {
        var scale = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES ($1, $1, 1, 'Default')", scale);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
                ($1, 0, 'not_started', 0, false), ($1, 1, 'attempted', 0.01, false), ($1, 2, 'familiar', 0.5, false),
                ($1, 3, 'proficient', 0.8, false), ($1, 4, 'mastered', 0.95, true)
            """, scale);
        return scale;
    }

    public static async Task<Guid> FrameworkAsync(TestDatabase db, string code, Guid? scale = null)
    {
        var id = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.competency_frameworks (id, code, title, scale_id) VALUES ($1, $2, $2, $3)",
            id, code, scale ?? await ScaleAsync(db));
        return id;
    }

    public static async Task<Guid> SkillAsync(TestDatabase db, Guid framework, string code, Guid? parent = null)
    {
        var id = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.skills (id, framework_id, parent_id, code, title) VALUES ($1, $2, $3, $4, $4)",
            id, framework, parent.HasValue ? parent.Value : DBNull.Value, code);
        return id;
    }

    /// <summary>
    /// A rubric of one criterion aligned to the skill, whose ratings are worth these points (highest first, each described
    /// by its points); the criterion is mastered at <paramref name="masteryPoints"/>.
    /// </summary>
    public static async Task<(Guid Rubric, Guid Criterion)> RubricAsync(TestDatabase db, Guid skill, int masteryPoints, params int[] ratingPoints)
    {
        var (rubric, criterion) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var ratings = JsonSerializer.Serialize(ratingPoints.Select(p => new { description = p.ToString(CultureInfo.InvariantCulture), points = p }));
        await db.ExecuteAsync("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, 'Rubric')", rubric);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, skill_id, ratings, mastery_points)
            VALUES ($1, $2, 0, 'Criterion', $3, $4::jsonb, $5)
            """, criterion, rubric, skill, ratings, masteryPoints);
        return (rubric, criterion);
    }
}

using System.Text.Json;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>
/// Rubrics (criteria × ratings × points) for work scored by people. A rubric is created whole and never edited in place
/// (assessments refer to its criteria).
/// </summary>
public static class RubricStore
{
    static readonly JsonSerializerOptions RatingJson = new(JsonSerializerDefaults.Web);

    /// <summary>The rubric and all its criteria (in list order) in one round trip.</summary>
    public static async Task CreateAsync(ActorScope scope, Guid id, string title, IReadOnlyList<RubricCriterionDefinition> criteria, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(criteria);
        await scope.ExecuteAsync(
        [
            new NpgsqlBatchCommand("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, $2)") { Parameters = { Uuid(id), Text(title) } },
            new NpgsqlBatchCommand("""
                INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, long_description, skill_id, ratings, mastery_points)
                SELECT u.id, $1, u.ord - 1, u.description, u.long_description, u.skill_id, u.ratings::jsonb, u.mastery_points
                FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::numeric[])
                     WITH ORDINALITY AS u (id, description, long_description, skill_id, ratings, mastery_points, ord)
                """)
            {
                Parameters =
                {
                    Uuid(id),
                    Uuids(criteria.Select(_ => Guid.CreateVersion7()).ToArray()),
                    TextArray(criteria.Select(c => c.Description).ToArray()),
                    TextArray(criteria.Select(c => c.LongDescription).ToArray()),
                    NullableUuids(criteria.Select(c => c.SkillId)),
                    TextArray(criteria.Select(c => JsonSerializer.Serialize(c.Ratings.Select(r => new { description = r.Description, points = r.Points }))).ToArray()),
                    NullableDecimals(criteria.Select(c => c.MasteryPoints)),
                },
            },
        ], ct);
    }

    public static async Task<RubricResponse?> ReadAsync(ActorScope scope, Guid rubricId, CancellationToken ct) =>
        (await ReadManyAsync(scope, rubricId, null, 1, ct)).SingleOrDefault();

    /// <summary>Rubrics by id (keyset: after the given id), a page at a time, with their criteria, in one statement.</summary>
    public static async Task<Page<RubricResponse>> ListAsync(ActorScope scope, Guid? after, int size, CancellationToken ct) =>
        Paging.TrimById([.. await ReadManyAsync(scope, null, after, Paging.Fetch(size), ct)], size, r => r.Id);

    /// <summary>One rubric, or up to <paramref name="count"/> after <paramref name="after"/> by id, with their criteria, in one statement.</summary>
    static async Task<IReadOnlyList<RubricResponse>> ReadManyAsync(ActorScope scope, Guid? rubricId, Guid? after, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT r.id, r.title, r.created_at, c.id, c.position, c.description, c.long_description, c.skill_id, c.ratings, c.mastery_points
            FROM (SELECT * FROM hephaestus.rubrics WHERE ($1::uuid IS NULL OR id = $1) AND ($3::uuid IS NULL OR id > $3) ORDER BY id LIMIT $2) r
            LEFT JOIN hephaestus.rubric_criteria c ON c.rubric_id = r.id
            ORDER BY r.id, c.position
            """);
        command.Parameters.Add(NullableUuid(rubricId));
        command.Parameters.Add(Int(count));
        command.Parameters.Add(NullableUuid(after));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rubrics = new List<(Guid Id, string Title, DateTimeOffset CreatedAt, List<RubricCriterionResponse> Criteria)>();
        while (await reader.ReadAsync(ct))
        {
            if (rubrics.Count == 0 || rubrics[^1].Id != reader.GetGuid(0)) rubrics.Add((reader.GetGuid(0), reader.GetString(1), reader.GetTime(2), []));
            if (reader.IsDBNull(3)) continue;
            rubrics[^1].Criteria.Add(new RubricCriterionResponse(reader.GetGuid(3), reader.GetInt16(4), reader.GetString(5), reader.GetNullableString(6),
                reader.GetNullableGuid(7), reader.GetJson(8).Deserialize<List<RubricRatingDefinition>>(RatingJson)!,
                reader.IsDBNull(9) ? null : reader.GetDecimal(9)));
        }

        return rubrics.Select(r => new RubricResponse(r.Id, r.Title, r.CreatedAt, r.Criteria.Sum(c => c.Ratings.Count > 0 ? c.Ratings.Max(x => x.Points) : 0), r.Criteria))
            .ToList();
    }
}

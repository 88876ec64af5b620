using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// Rubrics (criteria × ratings × points) for work scored by people; RubricScoringApi scores with them. A rubric is
/// created whole and not edited in place (assessments refer to its criteria), so there is no PUT: make a new rubric.
/// </summary>
internal static class RubricsApi
{
    public const int MaxCriteria = 100;
    public const int MaxRatings = 20;

    public static void Map(RouteGroupBuilder api)
    {
        var rubrics = api.MapGroup("/rubrics").WithTags("Competencies");
        rubrics.MapPost("/", Create).WithName("CreateRubric");
        rubrics.MapGet("/", List).WithName("ListRubrics");
        rubrics.MapGet("/{rubricId:guid}", Get).WithName("GetRubric");
    }

    /// <summary>The shape, field by field; the same rules as the CHECK constraints of rubric_criteria, caught here to be named.</summary>
    static Validation Check(CreateRubricRequest request)
    {
        var v = new Validation().Text("title", request.Title, 1, 200);
        if (request.Criteria is null) return v.Add("criteria", "is required");
        if (request.Criteria.Count == 0) v.Add("criteria", "must have at least one criterion");
        if (request.Criteria.Count > MaxCriteria) v.Add("criteria", $"must have at most {MaxCriteria} criteria");
        for (var i = 0; i < request.Criteria.Count; i++)
        {
            var criterion = request.Criteria[i];
            var at = $"criteria[{i}]";
            v.Text($"{at}.description", criterion.Description, 1, 500);
            v.Text($"{at}.longDescription", criterion.LongDescription, 0, 5000, required: false);
            if (criterion.Ratings is null)
            {
                v.Add($"{at}.ratings", "is required");
                continue;
            }

            if (criterion.Ratings.Count == 0) v.Add($"{at}.ratings", "must have at least one rating");
            if (criterion.Ratings.Count > MaxRatings) v.Add($"{at}.ratings", $"must have at most {MaxRatings} ratings");
            for (var j = 0; j < criterion.Ratings.Count; j++)
            {
                var rating = criterion.Ratings[j];
                v.Text($"{at}.ratings[{j}].description", rating.Description, 1, 500);
                if (rating.Points < 0) v.Add($"{at}.ratings[{j}].points", "must not be negative");
                else if (rating.Points >= 1_000_000 || decimal.Round(rating.Points, 2) != rating.Points) v.Add($"{at}.ratings[{j}].points", "must be below 1000000 with at most 2 decimal places");
                else if (j > 0 && rating.Points >= criterion.Ratings[j - 1].Points) v.Add($"{at}.ratings[{j}].points", "must be less than the previous rating's points (ratings go from best to worst)");
            }

            if (criterion.MasteryPoints is { } mastery && criterion.Ratings.All(r => r.Points != mastery))
            {
                v.Add($"{at}.masteryPoints", "must equal the points of one of the criterion's ratings");
            }

            if (criterion.SkillId is not null && criterion.MasteryPoints is null)
            {
                v.Add($"{at}.masteryPoints", "is required when the criterion is aligned to a skill (its ratings become evidence of mastery)");
            }
        }

        return v;
    }

    static async Task<Results<Created<RubricResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateRubricRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create rubrics.");
        var v = Check(request);
        if (request.Criteria is null) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // Skill references are checked even when the shape has errors, so one response lists every problem.
        var skills = request.Criteria.Select(c => c.SkillId).OfType<Guid>().ToArray();
        var known = (await CompetencySql.CodesAsync(scope, skills, ct)).Keys.ToHashSet();
        for (var i = 0; i < request.Criteria.Count; i++)
        {
            if (request.Criteria[i].SkillId is { } skill && !known.Contains(skill)) v.Add($"criteria[{i}].skillId", $"no skill with id {skill}");
        }

        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        await using (var batch = new NpgsqlBatch(scope.Connection, scope.Transaction))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, $2)")
            {
                Parameters = { SqlParameters.Uuid(id), SqlParameters.Text(request.Title) },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, long_description, skill_id, ratings, mastery_points)
                SELECT u.id, $1, u.ord - 1, u.description, u.long_description, u.skill_id, u.ratings::jsonb, u.mastery_points
                FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::numeric[])
                     WITH ORDINALITY AS u (id, description, long_description, skill_id, ratings, mastery_points, ord)
                """)
            {
                Parameters =
                {
                    SqlParameters.Uuid(id),
                    new NpgsqlParameter<Guid[]> { TypedValue = request.Criteria.Select(_ => Guid.CreateVersion7()).ToArray() },
                    new NpgsqlParameter<string[]> { TypedValue = request.Criteria.Select(c => c.Description).ToArray() },
                    new NpgsqlParameter { Value = request.Criteria.Select(c => (object?)c.LongDescription ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter { Value = request.Criteria.Select(c => (object?)c.SkillId ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid },
                    new NpgsqlParameter<string[]> { TypedValue = request.Criteria.Select(c => JsonSerializer.Serialize(c.Ratings.Select(r => new { description = r.Description, points = r.Points }))).ToArray() },
                    new NpgsqlParameter { Value = request.Criteria.Select(c => (object?)c.MasteryPoints ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Numeric },
                },
            });
            await batch.ExecuteNonQueryAsync(ct);
        }

        var rubric = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/rubrics/{id}", rubric!);
    }

    /// <summary>The newest 100 rubrics, with their criteria, in one statement.</summary>
    static async Task<Ok<IReadOnlyList<RubricResponse>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await ReadManyAsync(scope, null, ct));
    }

    static async Task<Results<Ok<RubricResponse>, ProblemHttpResult>> Get(Guid rubricId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var rubric = await ReadAsync(scope, rubricId, ct);
        return rubric is null ? Problems.NotFound("rubric", rubricId) : TypedResults.Ok(rubric);
    }

    static readonly JsonSerializerOptions RatingJson = new(JsonSerializerDefaults.Web);

    static async Task<RubricResponse?> ReadAsync(ActorScope scope, Guid rubricId, CancellationToken ct) =>
        (await ReadManyAsync(scope, rubricId, ct)).SingleOrDefault();

    static async Task<IReadOnlyList<RubricResponse>> ReadManyAsync(ActorScope scope, Guid? rubricId, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT r.id, r.title, r.created_at, c.id, c.position, c.description, c.long_description, c.skill_id, c.ratings::text, c.mastery_points
            FROM (SELECT * FROM hephaestus.rubrics WHERE $1::uuid IS NULL OR id = $1 ORDER BY id DESC LIMIT 100) r
            LEFT JOIN hephaestus.rubric_criteria c ON c.rubric_id = r.id
            ORDER BY r.id DESC, c.position
            """);
        command.Parameters.Add(SqlParameters.NullableUuid(rubricId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rubrics = new List<(Guid Id, string Title, DateTimeOffset CreatedAt, List<RubricCriterionResponse> Criteria)>();
        while (await reader.ReadAsync(ct))
        {
            if (rubrics.Count == 0 || rubrics[^1].Id != reader.GetGuid(0)) rubrics.Add((reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), []));
            if (reader.IsDBNull(3)) continue;
            rubrics[^1].Criteria.Add(new RubricCriterionResponse(reader.GetGuid(3), reader.GetInt16(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetGuid(7), JsonSerializer.Deserialize<List<RubricRatingDefinition>>(reader.GetString(8), RatingJson)!,
                reader.IsDBNull(9) ? null : reader.GetDecimal(9)));
        }

        return rubrics.Select(r => new RubricResponse(r.Id, r.Title, r.CreatedAt, r.Criteria.Sum(c => c.Ratings.Count > 0 ? c.Ratings.Max(x => x.Points) : 0), r.Criteria))
            .ToList();
    }
}

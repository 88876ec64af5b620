using Hephaestus.Data;
using Hephaestus.Data.Competencies;
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
        rubrics.MapPost("/", Create).WithName("CreateRubric").RequireAuthorization(Policies.Author)
            .WithSummary("Create a rubric")
            .WithDescription("Criteria with ratings from best to worst and their points; a criterion aligned to a skill names its mastery points, and its ratings become evidence. Rubrics are not edited: make a new one. Authors and admins.");
        rubrics.MapGet("/", List).WithName("ListRubrics")
            .WithSummary("List rubrics")
            .WithDescription("Rubrics with their criteria, in creation order, keyset paged by `after` and `limit`. Any provisioned user.");
        rubrics.MapGet("/{rubricId:guid}", Get).WithName("GetRubric")
            .WithSummary("Read a rubric")
            .WithDescription("A rubric with its criteria and ratings. Any provisioned user.")
            .ProducesProblems(StatusCodes.Status404NotFound);
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
        var v = Check(request);
        if (request.Criteria is null) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        // Skill references are checked even when the shape has errors, so one response lists every problem.
        var skills = request.Criteria.Select(c => c.SkillId).OfType<Guid>().ToArray();
        var known = (await SkillStore.CodesAsync(scope, skills, ct)).Keys.ToHashSet();
        for (var i = 0; i < request.Criteria.Count; i++)
        {
            if (request.Criteria[i].SkillId is { } skill && !known.Contains(skill)) v.Add($"criteria[{i}].skillId", $"no skill with id {skill}");
        }

        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        await RubricStore.CreateAsync(scope, id, request.Title, request.Criteria, ct);
        var rubric = await RubricStore.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/rubrics/{id}", rubric!);
    }

    /// <summary>Rubrics by id, a page at a time, with their criteria, in one statement.</summary>
    static async Task<Results<Ok<Page<RubricResponse>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await RubricStore.ListAsync(scope, after, size, ct));
    }

    static async Task<Results<Ok<RubricResponse>, ProblemHttpResult>> Get(Guid rubricId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var rubric = await RubricStore.ReadAsync(scope, rubricId, ct);
        return rubric is null ? Problems.NotFound("rubric", rubricId) : TypedResults.Ok(rubric);
    }
}

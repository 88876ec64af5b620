using System.Net;
using System.Net.Http.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Competencies;

public class RubricsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static object Ratings(params double[] points) => points.Select(p => new { description = $"{p} points", points = p }).ToArray();

    [Fact]
    public async Task A_rubric_is_created_and_read_with_its_criteria_in_order()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var skill = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "fw-" + Guid.NewGuid().ToString("N")[..8]), "essay");
        var created = await author.PostAsJsonAsync("/api/v1/rubrics", new
        {
            title = "Essay",
            criteria = new object[]
            {
                new { description = "Thesis", longDescription = "States a clear claim", skillId = skill, ratings = Ratings(4, 3, 1, 0), masteryPoints = 3 },
                new { description = "Spelling", ratings = Ratings(2, 0) },
            },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await Json.ReadAsync(created)).GetProperty("id").GetGuid();

        var rubric = await Json.ReadAsync(await author.GetAsync($"/api/v1/rubrics/{id}"));
        Assert.Equal(6m, rubric.GetProperty("pointsPossible").GetDecimal());
        var criteria = rubric.GetProperty("criteria").EnumerateArray().ToList();
        Assert.Equal(["Thesis", "Spelling"], criteria.Select(c => c.GetProperty("description").GetString()));
        Assert.Equal(skill, criteria[0].GetProperty("skillId").GetGuid());
        Assert.Equal(3m, criteria[0].GetProperty("masteryPoints").GetDecimal());
        Assert.Equal([4m, 3m, 1m, 0m], criteria[0].GetProperty("ratings").EnumerateArray().Select(r => r.GetProperty("points").GetDecimal()));
        Assert.Contains((await Json.AllPagesAsync(author, "/api/v1/rubrics?limit=200")).Items, r => r.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task An_invalid_rubric_is_refused_with_a_pointer_to_each_mistake_and_nothing_is_written()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.rubrics");
        var problem = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/rubrics", new
        {
            title = "Broken",
            criteria = new object[]
            {
                new { description = "Increasing", ratings = Ratings(1, 2), masteryPoints = 5 },
                new { description = "Aligned", skillId = Guid.NewGuid(), ratings = Ratings(3, -1) },
                new { description = "Empty", ratings = Array.Empty<object>() },
            },
        }), 400);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "/criteria/0/ratings/1/points", "/criteria/0/masteryPoints", "/criteria/1/skillId", "/criteria/1/ratings/1/points", "/criteria/1/masteryPoints", "/criteria/2/ratings" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        }

        await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/rubrics", new { title = "None", criteria = Array.Empty<object>() }), 400);
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.rubrics"));
    }

    [Fact]
    public async Task A_learner_reads_rubrics_but_cannot_create_them_and_unknown_ids_are_404()
    {
        var (_, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        await Json.ProblemAsync(await learner.PostAsJsonAsync("/api/v1/rubrics", new { title = "Mine", criteria = new[] { new { description = "x", ratings = Ratings(1) } } }), 403);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync("/api/v1/rubrics")).StatusCode);
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/rubrics/{Guid.NewGuid()}"), 404);
    }
}

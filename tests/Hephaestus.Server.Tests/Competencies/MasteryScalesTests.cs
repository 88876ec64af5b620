using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Competencies;

public class MasteryScalesTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static readonly Guid DefaultScale = new("00000000-0000-7000-8000-000000000001");

    static object Scale(string name, params (string Name, double Threshold, bool Mastery)[] levels) => new
    {
        name,
        levels = levels.Select(l => new { name = l.Name, threshold = l.Threshold, isMastery = l.Mastery, color = "#1865f2" }).ToArray(),
    };

    static readonly object ThreeLevels = Scale("Three", ("novice", 0, false), ("competent", 0.6, true), ("expert", 0.9, false));

    Task<(Guid Id, HttpClient Client)> AuthorAsync() => db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");

    static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    /// <summary>A learner has mastery recorded for a skill of a framework that uses the scale: the scale is now in use.</summary>
    async Task<Guid> PutInUseAsync(Guid scaleId)
    {
        var framework = await Catalog.FrameworkAsync(db, "fw-" + Guid.NewGuid().ToString("N")[..8], scaleId);
        var skill = await Catalog.SkillAsync(db, framework, "s1");
        var learner = await db.CreateUserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count)
            VALUES ($1, $2, 0.7, 1, 'competent', true, 1)
            """, learner, skill);
        return framework;
    }

    [Fact]
    public async Task A_scale_is_created_and_read_with_its_levels_in_rank_order()
    {
        var (_, author) = await AuthorAsync();
        var scale = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/mastery-scales", ThreeLevels));
        var id = scale.GetProperty("id").GetGuid();
        Assert.Equal(id, scale.GetProperty("familyId").GetGuid());
        Assert.Equal(1, scale.GetProperty("version").GetInt32());
        Assert.False(scale.GetProperty("inUse").GetBoolean());

        var read = await Json.ReadAsync(await author.GetAsync($"/api/v1/mastery-scales/{id}"));
        var levels = read.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(["novice", "competent", "expert"], levels.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal([0, 1, 2], levels.Select(l => l.GetProperty("rank").GetInt32()));
        Assert.True(levels[1].GetProperty("isMastery").GetBoolean());
        Assert.Equal(0.6m, levels[1].GetProperty("threshold").GetDecimal());

        var (all, _) = await Json.AllPagesAsync(author, "/api/v1/mastery-scales?limit=200");
        Assert.Contains(all, s => s.GetProperty("id").GetGuid() == id);
        Assert.Contains(all, s => s.GetProperty("id").GetGuid() == DefaultScale);
    }

    [Fact]
    public async Task An_invalid_scale_is_refused_with_every_field_named_and_nothing_written()
    {
        var (_, author) = await AuthorAsync();
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.mastery_scales");
        var response = await author.PostAsJsonAsync("/api/v1/mastery-scales", new
        {
            name = "Broken",
            levels = new object[]
            {
                new { name = "Low", threshold = 0.0, isMastery = false },
                new { name = "mid", threshold = 0.5, isMastery = false, color = "red" },
                new { name = "mid", threshold = 0.4, isMastery = false },
                new { name = "top", threshold = 1.5, isMastery = false, points = -1 },
            },
        });
        var problem = await Json.ProblemAsync(response, 400);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "/levels/0/name", "/levels/1/color", "/levels/2/name", "/levels/2/threshold", "/levels/3/threshold", "/levels/3/points", "/levels" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        }

        Assert.Contains("exactly one", errors.GetProperty("/levels")[0].GetString());
        var single = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/mastery-scales", Scale("One", ("only", 0, true))), 400);
        Assert.True(single.GetProperty("errors").TryGetProperty("/levels", out _));
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.mastery_scales"));
    }

    [Fact]
    public async Task A_framework_created_without_a_scale_uses_the_default_scale()
    {
        var (_, author) = await AuthorAsync();
        var framework = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code = "fw-" + Guid.NewGuid().ToString("N")[..8], title = "Math" }));
        Assert.Equal(DefaultScale, framework.GetProperty("scaleId").GetGuid());
        Assert.Equal("bkt", framework.GetProperty("masteryMethod").GetString());

        var scale = await Json.ReadAsync(await author.GetAsync($"/api/v1/mastery-scales/{DefaultScale}"));
        Assert.Equal("Default (Khan Academy style)", scale.GetProperty("name").GetString());
        var levels = scale.GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(["not_started", "attempted", "familiar", "proficient", "mastered"], levels.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal([0m, 0.01m, 0.5m, 0.8m, 0.95m], levels.Select(l => l.GetProperty("threshold").GetDecimal()));
        Assert.Equal("mastered", Assert.Single(levels, l => l.GetProperty("isMastery").GetBoolean()).GetProperty("name").GetString());
        Assert.All(levels, l => Assert.Matches("^#[0-9a-f]{6}$", l.GetProperty("color").GetString()));
    }

    [Fact]
    public async Task A_scale_not_in_use_is_replaced_whole()
    {
        var (_, author) = await AuthorAsync();
        var id = (await CreatedAsync(await author.PostAsJsonAsync("/api/v1/mastery-scales", ThreeLevels))).GetProperty("id").GetGuid();
        var replaced = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/mastery-scales/{id}", etag: await author.ETagAsync($"/api/v1/mastery-scales/{id}"), body: Scale("Two", ("no", 0, false), ("yes", 0.7, true)));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var scale = await Json.ReadAsync(replaced);
        Assert.Equal("Two", scale.GetProperty("name").GetString());
        Assert.Equal(["no", "yes"], scale.GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_scale_in_use_keeps_its_levels_in_the_api_and_in_the_database_and_a_new_version_is_made_instead()
    {
        var (authorId, author) = await AuthorAsync();
        var id = (await CreatedAsync(await author.PostAsJsonAsync("/api/v1/mastery-scales", ThreeLevels))).GetProperty("id").GetGuid();
        var framework = await PutInUseAsync(id);
        Assert.True((await Json.ReadAsync(await author.GetAsync($"/api/v1/mastery-scales/{id}"))).GetProperty("inUse").GetBoolean());

        // Through the API: changing levels is refused and says what to do instead; renaming is fine.
        var refused = await Json.ProblemAsync(await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/mastery-scales/{id}", etag: await author.ETagAsync($"/api/v1/mastery-scales/{id}"), body:
            Scale("Three", ("novice", 0, false), ("competent", 0.7, true), ("expert", 0.9, false))), 409);
        Assert.Contains("new version", refused.GetProperty("detail").GetString());
        var renamed = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/mastery-scales/{id}", etag: await author.ETagAsync($"/api/v1/mastery-scales/{id}"), body: Scale("Three renamed", ("novice", 0, false), ("competent", 0.6, true), ("expert", 0.9, false)));
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Three renamed", (await Json.ReadAsync(renamed)).GetProperty("name").GetString());

        // Below the API: as the application role acting as an author, and as the schema owner.
        await using (var scope = await ActorScope.BeginAsync(db.App, new Actor(authorId, ["author"]), default))
        {
            await using var update = scope.Command("UPDATE hephaestus.mastery_levels SET threshold = 0.65 WHERE scale_id = $1 AND rank = 1");
            update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            var error = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
            Assert.Equal("HE003", error.SqlState);
        }

        foreach (var sql in new[]
        {
            "UPDATE hephaestus.mastery_levels SET name = 'beginner' WHERE scale_id = $1 AND rank = 0",
            "DELETE FROM hephaestus.mastery_levels WHERE scale_id = $1 AND rank = 2",
            "INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold) VALUES ($1, 3, 'guru', 0.99)",
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(sql, id));
            Assert.Equal("HE003", error.SqlState);
        }

        Assert.Equal(0.6m, await db.ScalarAsync<decimal>("SELECT threshold FROM hephaestus.mastery_levels WHERE scale_id = $1 AND rank = 1", id));

        // A new version: same family, next number, new id; the framework is pointed to it and recorded mastery follows.
        var version2 = await CreatedAsync(await author.PostAsJsonAsync($"/api/v1/mastery-scales/{id}/versions",
            Scale("Three v2", ("novice", 0, false), ("competent", 0.5, false), ("expert", 0.65, true))));
        var v2 = version2.GetProperty("id").GetGuid();
        Assert.NotEqual(id, v2);
        Assert.Equal(id, version2.GetProperty("familyId").GetGuid());
        Assert.Equal(2, version2.GetProperty("version").GetInt32());
        Assert.False(version2.GetProperty("inUse").GetBoolean());

        var patched = await author.PatchAsync($"/api/v1/frameworks/{framework}", new { scaleId = v2 }, await author.ETagAsync($"/api/v1/frameworks/{framework}"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(v2, (await Json.ReadAsync(patched)).GetProperty("scaleId").GetGuid());
        // 0.7 on the new scale is "expert", now the mastery level.
        Assert.Equal("expert", await db.ScalarAsync<string>("""
            SELECT m.level_name FROM hephaestus.learner_skill_mastery m JOIN hephaestus.skills s ON s.id = m.skill_id WHERE s.framework_id = $1
            """, framework));
        Assert.True((await Json.ReadAsync(await author.GetAsync($"/api/v1/mastery-scales/{v2}"))).GetProperty("inUse").GetBoolean());
        Assert.False((await Json.ReadAsync(await author.GetAsync($"/api/v1/mastery-scales/{id}"))).GetProperty("inUse").GetBoolean());
    }

    [Fact]
    public async Task A_learner_reads_scales_but_cannot_write_them_and_unknown_ids_are_404()
    {
        var (_, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        await Json.ProblemAsync(await learner.PostAsJsonAsync("/api/v1/mastery-scales", ThreeLevels), 403);
        await Json.ProblemAsync(await learner.PutAsJsonAsync($"/api/v1/mastery-scales/{DefaultScale}", ThreeLevels), 403);
        await Json.ProblemAsync(await learner.PostAsJsonAsync($"/api/v1/mastery-scales/{DefaultScale}/versions", ThreeLevels), 403);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync($"/api/v1/mastery-scales/{DefaultScale}")).StatusCode);
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/mastery-scales/{Guid.NewGuid()}"), 404);

        var (_, author) = await AuthorAsync();
        await Json.ProblemAsync(await author.PutAsJsonAsync($"/api/v1/mastery-scales/{Guid.NewGuid()}", ThreeLevels), 404);
        await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/mastery-scales/{Guid.NewGuid()}/versions", ThreeLevels), 404);
    }
}

using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

/// <summary>Searching users (display name, email) and skills (code, title, description) by part of their text.</summary>
public class TextSearchTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static async Task<string[]> ItemsAsync(HttpClient client, string url, string property)
    {
        var page = await Json.ReadAsync(await client.GetAsync(url));
        return [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty(property).GetString()!)];
    }

    [Fact]
    public async Task Users_are_found_by_part_of_the_name_or_email_ignoring_case_within_what_the_actor_may_see()
    {
        var (_, admin) = await db.UserAsync("search-admin@example.org", "admin");
        await db.CreateUserAsync("ada.lovelace@analytical.test");
        await db.CreateUserAsync("alan_turing@bletchley.test");
        await db.CreateUserAsync("grace.hopper@navy.test");

        Assert.Equal(["ada.lovelace@analytical.test"], await ItemsAsync(admin, "/api/v1/users?q=LOVE", "email"));
        Assert.Equal(["alan_turing@bletchley.test"], await ItemsAsync(admin, "/api/v1/users?q=bletchley", "email"));
        Assert.Equal(3, (await ItemsAsync(admin, "/api/v1/users?q=.test", "email")).Length);
        // LIKE's wildcards are taken literally: '_' matches only an underscore, '%' nothing here.
        Assert.Equal(["alan_turing@bletchley.test"], await ItemsAsync(admin, "/api/v1/users?q=_", "email"));
        Assert.Empty(await ItemsAsync(admin, "/api/v1/users?q=%25", "email"));

        // An educator finds only the learners of their cohorts (row-level security), a learner only themselves.
        var (educatorId, educator) = await db.UserAsync("search-educator@example.org", "educator");
        var grace = await db.ScalarAsync<Guid>("SELECT id FROM hephaestus.users WHERE email = 'grace.hopper@navy.test'");
        var cohort = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'S')", cohort);
        await db.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner'), ($1, $3, 'educator')",
            cohort, grace, educatorId);
        Assert.Equal(["grace.hopper@navy.test"], await ItemsAsync(educator, "/api/v1/users?q=.test", "email"));
        var (_, learner) = await db.UserAsync("search-learner@example.org", "learner");
        Assert.Empty(await ItemsAsync(learner, "/api/v1/users?q=ada", "email"));

        var problem = await Json.ProblemAsync(await admin.GetAsync("/api/v1/users?q=" + new string('x', 201)), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/q", out _));
    }

    [Fact]
    public async Task Skills_are_filtered_by_part_of_their_code_title_or_description()
    {
        var (_, author) = await db.UserAsync("search-author@example.org", "author");
        var framework = await Catalog.FrameworkAsync(db, "fw-search");
        await Catalog.SkillAsync(db, framework, "alg.linear");
        var fractions = await Catalog.SkillAsync(db, framework, "num.fractions");
        await Catalog.SkillAsync(db, framework, "geo.angles");
        await db.ExecuteAsync("UPDATE hephaestus.skills SET title = 'Adding Fractions', description = 'Common denominators first' WHERE id = $1", fractions);

        var all = $"/api/v1/skills?framework={framework}";
        Assert.Equal(3, (await ItemsAsync(author, all, "code")).Length);
        Assert.Equal(["alg.linear"], await ItemsAsync(author, all + "&q=LINEAR", "code"));
        Assert.Equal(["num.fractions"], await ItemsAsync(author, all + "&q=adding", "code"));
        Assert.Equal(["num.fractions"], await ItemsAsync(author, all + "&q=denominator", "code"));
        Assert.Empty(await ItemsAsync(author, all + "&q=calculus", "code"));
    }
}

using System.Net;
using System.Net.Http.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Assessments;

public class ItemBankBrowsingTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed record World(HttpClient Author, Guid Skill1, Guid Skill2, string Tag);

    async Task<World> WorldAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, author) = await db.UserAsync($"a-{tag}@bank.test", "author");
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        return new World(author, await Catalog.SkillAsync(db, framework, "s1"), await Catalog.SkillAsync(db, framework, "s2"), "t" + tag);
    }

    static object Choice(string prompt) => new
    {
        type = "single_choice", prompt, points = 1, options = new[] { new { id = "a", text = "yes" }, new { id = "b", text = "no" } }, correctOptionId = "a",
    };

    static object Numeric(string prompt) => new { type = "numeric", prompt, points = 1, value = 42 };

    static async Task<Guid> ItemAsync(World w, object definition, Guid skill, params string[] tags)
    {
        var response = await w.Author.PostAsJsonAsync("/api/v1/items", new { definition, skills = new[] { new { skillId = skill } }, tags });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("itemId").GetGuid();
    }

    static async Task<List<Guid>> IdsAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/v1/items?" + query);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. (await Json.ReadAsync(response)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetGuid())];
    }

    [Fact]
    public async Task Items_are_found_by_skill_type_stem_words_and_tag_and_filters_combine()
    {
        var w = await WorldAsync();
        var fractions = await ItemAsync(w, Choice("Add the fractions 1/2 and 1/4"), w.Skill1, w.Tag, "fractions-" + w.Tag);
        var times = await ItemAsync(w, Numeric("What is 7 times 6?"), w.Skill2, w.Tag);
        var capital = await ItemAsync(w, Choice("Name the capital of France"), w.Skill1, "other-" + w.Tag);

        Assert.Equal([fractions, capital], await IdsAsync(w.Author, $"skill={w.Skill1}"));
        Assert.Equal([times], await IdsAsync(w.Author, $"type=numeric&tag={w.Tag}"));
        Assert.Equal([fractions, times], await IdsAsync(w.Author, $"tag={w.Tag}"));
        Assert.Equal([capital], await IdsAsync(w.Author, $"tag=other-{w.Tag}"));
        // Stemmed words ("fraction" finds "fractions"), web search syntax (a quoted phrase), and a skill to keep to this test's items.
        Assert.Equal([fractions], await IdsAsync(w.Author, $"q=fraction&skill={w.Skill1}"));
        Assert.Equal([capital], await IdsAsync(w.Author, $"q={Uri.EscapeDataString("\"capital of france\"")}&skill={w.Skill1}"));
        Assert.Empty(await IdsAsync(w.Author, $"q=fraction&skill={w.Skill2}"));
        Assert.Empty(await IdsAsync(w.Author, $"type=numeric&skill={w.Skill1}"));

        // A new version is what the bank shows: the old stem no longer matches, and tags left out stay.
        var edit = await w.Author.PutAsJsonAsync($"/api/v1/items/{fractions}", new { definition = Choice("Multiply 3 by 4"), skills = new[] { new { skillId = w.Skill1 } } });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal([w.Tag, "fractions-" + w.Tag], (await Json.ReadAsync(edit)).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Empty(await IdsAsync(w.Author, $"q=fraction&skill={w.Skill1}"));
        Assert.Equal([fractions], await IdsAsync(w.Author, $"q=multiply&skill={w.Skill1}"));
    }

    [Fact]
    public async Task Paging_returns_every_item_once_in_creation_order()
    {
        var w = await WorldAsync();
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++) created.Add(await ItemAsync(w, Choice($"Question {i}"), w.Skill1, w.Tag));

        var (items, pages) = await Json.AllPagesAsync(w.Author, $"/api/v1/items?tag={w.Tag}&limit=3");
        var seen = items.Select(i => i.GetProperty("itemId").GetGuid()).ToList();

        Assert.Equal(created, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Bad_filters_are_problems_naming_the_parameter()
    {
        var w = await WorldAsync();
        Assert.True((await Json.ProblemAsync(await w.Author.GetAsync("/api/v1/items?limit=0"), 400)).GetProperty("errors").TryGetProperty("/limit", out _));
        Assert.True((await Json.ProblemAsync(await w.Author.GetAsync("/api/v1/items?type=essay"), 400)).GetProperty("errors").TryGetProperty("/type", out _));
        var tooMany = await w.Author.PostAsJsonAsync("/api/v1/items",
            new { definition = Choice("Q"), skills = new[] { new { skillId = w.Skill1 } }, tags = new[] { "x", "x", "" } });
        var errors = (await Json.ProblemAsync(tooMany, 400)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("/tags", out _));
        Assert.True(errors.TryGetProperty("/tags/2", out _));
    }

    [Fact]
    public async Task Learners_and_analysts_cannot_list_the_bank_and_its_keys_while_authors_and_educators_can()
    {
        var w = await WorldAsync();
        await ItemAsync(w, Choice("Secret question"), w.Skill1, w.Tag);
        var (_, learner) = await db.UserAsync($"l-{w.Tag}@bank.test", "learner");
        var (_, analyst) = await db.UserAsync($"n-{w.Tag}@bank.test", "analyst");
        var (_, educator) = await db.UserAsync($"e-{w.Tag}@bank.test", "educator");
        foreach (var refused in new[] { learner, analyst })
        {
            var response = await refused.GetAsync($"/api/v1/items?tag={w.Tag}");
            var body = await response.Content.ReadAsStringAsync();
            await Json.ProblemAsync(response, 403);
            Assert.DoesNotContain("correctOptionId", body, StringComparison.Ordinal);
        }

        var listed = await Json.ReadAsync(await educator.GetAsync($"/api/v1/items?tag={w.Tag}"));
        Assert.Equal("a", listed.GetProperty("items")[0].GetProperty("definition").GetProperty("correctOptionId").GetString());
    }
}

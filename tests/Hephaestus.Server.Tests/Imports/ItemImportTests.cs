using System.Net;
using System.Text;
using System.Text.Json;
using Hephaestus.Server.Cli;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Imports;

/// <summary>Items from JSON Lines through POST /api/v1/imports/items and `hephaestus import items`.</summary>
public class ItemImportTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed record World(HttpClient Author, Guid AuthorId, Guid Skill, string Tag);

    async Task<World> WorldAsync()
    {
        var tag = "i" + Guid.NewGuid().ToString("N")[..8];
        var (authorId, author) = await db.UserAsync($"a-{tag}@bank.test", "author");
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        return new World(author, authorId, await Catalog.SkillAsync(db, framework, "s1"), tag);
    }

    static string Line(string code, Guid skill, string prompt = "Is it?", object? extra = null) => JsonSerializer.Serialize(new
    {
        code,
        definition = new { type = "single_choice", prompt, points = 1, options = new[] { new { id = "a", text = "yes" }, new { id = "b", text = "no" } }, correctOptionId = "a" },
        skills = new[] { new { skillId = skill, weight = 0.5 } },
        tags = extra is null ? new[] { "imported" } : new[] { "imported", "again" },
    });

    static StringContent Body(IEnumerable<string> lines, string type = "application/x-ndjson") => new(string.Join("\n", lines) + "\n", Encoding.UTF8, type);

    static async Task<JsonElement> CountsAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("counts").GetProperty("items");
    }

    static (int, int, int) Tuple(JsonElement c) => (c.GetProperty("created").GetInt32(), c.GetProperty("updated").GetInt32(), c.GetProperty("unchanged").GetInt32());

    Task<long> ItemsAsync(string tag) => db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.items WHERE code LIKE $1 || '-%'", tag);

    Task<long> VersionsAsync(string tag) => db.ScalarAsync<long>(
        "SELECT count(*) FROM hephaestus.item_versions v JOIN hephaestus.items i ON i.id = v.item_id WHERE i.code LIKE $1 || '-%'", tag);

    [Fact]
    public async Task Items_are_created_then_unchanged_then_versioned_by_their_code()
    {
        var w = await WorldAsync();
        string[] lines = [Line($"{w.Tag}-1", w.Skill), Line($"{w.Tag}-2", w.Skill, "Is it, \"really\"?"), Line($"{w.Tag}-3", w.Skill)];

        Assert.Equal((3, 0, 0), Tuple(await CountsAsync(await w.Author.PostAsync("/api/v1/imports/items", Body(lines)))));
        Assert.Equal((0, 0, 3), Tuple(await CountsAsync(await w.Author.PostAsync("/api/v1/imports/items", Body(lines, "application/jsonl")))));
        Assert.Equal((3L, 3L), (await ItemsAsync(w.Tag), await VersionsAsync(w.Tag)));

        // A changed prompt makes version 2; changed tags alone change the tags and make no version.
        lines[0] = Line($"{w.Tag}-1", w.Skill, "Is it now?");
        lines[1] = Line($"{w.Tag}-2", w.Skill, "Is it, \"really\"?", extra: true);
        Assert.Equal((0, 2, 1), Tuple(await CountsAsync(await w.Author.PostAsync("/api/v1/imports/items", Body(lines)))));
        Assert.Equal((3L, 4L), (await ItemsAsync(w.Tag), await VersionsAsync(w.Tag)));
        Assert.Equal(2, await db.ScalarAsync<int>("SELECT current_version FROM hephaestus.items WHERE code = $1", $"{w.Tag}-1"));
        Assert.Equal(["imported", "again"], (await db.ScalarAsync<string[]>("SELECT tags FROM hephaestus.items WHERE code = $1", $"{w.Tag}-2"))!);
        Assert.Equal(0.5m, await db.ScalarAsync<decimal>("""
            SELECT s.weight FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = 2
            JOIN hephaestus.item_version_skills s ON s.item_version_id = v.id WHERE i.code = $1
            """, $"{w.Tag}-1"));

        // The bank reads an imported item as any other.
        var id = await db.ScalarAsync<Guid>("SELECT id FROM hephaestus.items WHERE code = $1", $"{w.Tag}-1");
        var item = await Json.ReadAsync(await w.Author.GetAsync($"/api/v1/items/{id}"));
        Assert.Equal("Is it now?", item.GetProperty("definition").GetProperty("prompt").GetString());

        // Who imported what is audited, and is part of the author's personal data.
        var export = await Json.ReadAsync(await w.Author.GetAsync($"/api/v1/users/{w.AuthorId}/export"));
        var made = export.GetProperty("sections").GetProperty("importsMade").EnumerateArray().ToList();
        Assert.Equal(3, made.Count);
        Assert.Equal([(3, 0, 0), (0, 0, 3), (0, 2, 1)], made.Select(m => Tuple(m.GetProperty("counts").GetProperty("items"))));
    }

    [Fact]
    public async Task Bad_lines_are_each_reported_and_nothing_is_written()
    {
        var w = await WorldAsync();
        var unknownSkill = Guid.NewGuid();
        string[] lines =
        [
            Line($"{w.Tag}-ok", w.Skill),
            Line($"{w.Tag}-ghost", unknownSkill),
            Line($"{w.Tag}-ok", w.Skill),
            """{"definition": {"type": "numeric", "prompt": "n", "points": 1}, "skills": []}""",
            "{not json",
        ];
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.items");

        var problem = await Json.ProblemAsync(await w.Author.PostAsync("/api/v1/imports/items", Body(lines)), 422);

        var fields = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains("/lines/3/code", fields);
        Assert.Contains("/lines/4/code", fields);
        Assert.Contains("/lines/4/skills", fields);
        Assert.Contains(fields, f => f.StartsWith("/lines/4/definition", StringComparison.Ordinal));
        Assert.Contains("/lines/5", fields);
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.items"));

        // With the file's own errors fixed, the unknown skill is found in the database, and still nothing is written.
        var skills = await Json.ProblemAsync(await w.Author.PostAsync("/api/v1/imports/items", Body(lines[..2])), 422);
        Assert.Equal(["/lines/2/skills/0/skillId"], skills.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.items"));
    }

    [Fact]
    public async Task Learners_and_educators_may_not_import_items_and_json_is_not_json_lines()
    {
        var w = await WorldAsync();
        foreach (var role in new[] { "learner", "educator" })
        {
            var (_, client) = await db.UserAsync($"{role}-{Guid.NewGuid():N}@example.org", role);
            await Json.ProblemAsync(await client.PostAsync("/api/v1/imports/items", Body([Line($"{w.Tag}-x", w.Skill)])), 403);
        }

        await Json.ProblemAsync(await w.Author.PostAsync("/api/v1/imports/items", Body([Line($"{w.Tag}-x", w.Skill)], "application/json")), 415);
        Assert.Equal(0L, await ItemsAsync(w.Tag));
    }

    [Fact]
    public async Task A_body_above_the_api_limit_is_accepted_up_to_the_import_limit()
    {
        var w = await WorldAsync();
        var padding = new string('x', 1000);
        var lines = Enumerable.Range(0, 1500).Select(i => Line($"{w.Tag}-{i}", w.Skill, $"Prompt {i} {padding}")).ToList();
        var body = Body(lines);
        Assert.True(Encoding.UTF8.GetByteCount(await body.ReadAsStringAsync()) > 1024 * 1024);

        Assert.Equal((1500, 0, 0), Tuple(await CountsAsync(await w.Author.PostAsync("/api/v1/imports/items", body))));
        Assert.Equal(1500L, await ItemsAsync(w.Tag));
    }

    [Fact]
    public async Task The_cli_verb_imports_a_file_and_fails_with_the_bad_lines()
    {
        var w = await WorldAsync();
        var path = Path.Combine(Path.GetTempPath(), $"{w.Tag}.jsonl");
        try
        {
            await File.WriteAllLinesAsync(path, [Line($"{w.Tag}-1", w.Skill), Line($"{w.Tag}-2", w.Skill)]);
            var output = new StringWriter();
            Assert.Equal(0, await ImportCommands.ItemsAsync(db.Owner, path, output, TextWriter.Null, default));
            Assert.Contains("items: 2 created", output.ToString(), StringComparison.Ordinal);
            Assert.Equal(2L, await ItemsAsync(w.Tag));
            Assert.Equal(1L, await db.ScalarAsync<long>("""
                SELECT count(*) FROM hephaestus.item_versions v JOIN hephaestus.items i ON i.id = v.item_id
                WHERE i.code = $1 AND v.created_by IS NULL
                """, $"{w.Tag}-1"));

            await File.WriteAllLinesAsync(path, [Line($"{w.Tag}-3", w.Skill), "[]"]);
            var error = new StringWriter();
            Assert.Equal(1, await ImportCommands.ItemsAsync(db.Owner, path, TextWriter.Null, error, default));
            Assert.Contains("/lines/2: must be a JSON object", error.ToString(), StringComparison.Ordinal);
            Assert.Equal(2L, await ItemsAsync(w.Tag));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

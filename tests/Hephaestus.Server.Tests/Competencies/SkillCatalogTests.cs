using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Competencies;

public class SkillCatalogTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    async Task<HttpClient> AuthorAsync() => (await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author")).Client;

    static string NewCode(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    static async Task<Guid> FrameworkAsync(HttpClient author, string? code = null) =>
        (await CreatedAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code = code ?? NewCode("fw"), title = "Framework" }))).GetProperty("id").GetGuid();

    static async Task<Guid> SkillAsync(HttpClient author, Guid framework, string code, Guid? parentId = null, int? position = null) =>
        (await CreatedAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code, title = code, parentId, position })))
            .GetProperty("id").GetGuid();

    static Task<HttpResponseMessage> PrerequisiteAsync(HttpClient author, Guid skill, Guid prerequisite) =>
        author.PutAsync($"/api/v1/skills/{skill}/prerequisites/{prerequisite}", null);

    static IEnumerable<(string Code, JsonElement Node)> Flatten(JsonElement nodes) =>
        nodes.EnumerateArray().SelectMany(n => new[] { (n.GetProperty("code").GetString()!, n) }.Concat(Flatten(n.GetProperty("children"))));

    [Fact]
    public async Task A_framework_reads_back_its_skills_as_a_tree_ordered_by_position_then_code()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var algebra = await SkillAsync(author, framework, "algebra");
        await SkillAsync(author, framework, "geometry", position: 0);
        await SkillAsync(author, framework, "alg.b", algebra, position: 1);
        await SkillAsync(author, framework, "alg.a", algebra, position: 1);
        var linear = await SkillAsync(author, framework, "alg.0", algebra, position: 0);
        await SkillAsync(author, framework, "alg.0.x", linear);

        var read = await Json.ReadAsync(await author.GetAsync($"/api/v1/frameworks/{framework}"));
        var roots = read.GetProperty("skills").EnumerateArray().ToList();
        // algebra got position 0 (first of its siblings); geometry asked for 0 too: code breaks the tie.
        Assert.Equal(["algebra", "geometry"], roots.Select(r => r.GetProperty("code").GetString()));
        var children = roots[0].GetProperty("children").EnumerateArray().ToList();
        Assert.Equal(["alg.0", "alg.a", "alg.b"], children.Select(c => c.GetProperty("code").GetString()));
        Assert.Equal("alg.0.x", Assert.Single(children[0].GetProperty("children").EnumerateArray()).GetProperty("code").GetString());

        var (frameworks, _) = await Json.AllPagesAsync(author, "/api/v1/frameworks?limit=200");
        Assert.Equal(6, frameworks.Single(f => f.GetProperty("id").GetGuid() == framework).GetProperty("skillCount").GetInt32());
    }

    [Fact]
    public async Task Frameworks_and_skills_refuse_bad_fields_duplicate_codes_and_bad_mastery_parameters()
    {
        var author = await AuthorAsync();
        var code = NewCode("fw");
        var framework = await FrameworkAsync(author, code);
        var duplicate = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code, title = "Again" }), 409);
        Assert.Equal("/code", duplicate.GetProperty("field").GetString());

        var bad = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new
        {
            code = "no spaces", title = "", scaleId = Guid.NewGuid(), masteryMethod = "median",
            masteryParameters = new { prior = 2.0, nMasteryCount = 0, priorr = 0.1 },
        }), 400);
        var errors = bad.GetProperty("errors");
        foreach (var field in new[] { "/code", "/title", "/scaleId", "/masteryMethod", "/masteryParameters/priorr" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        }

        var parameters = (await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new
        {
            code = NewCode("fw"), title = "Canvas", masteryMethod = "n_mastery", masteryParameters = new { prior = 2.0, nMasteryCount = 0 },
        }), 400)).GetProperty("errors");
        Assert.True(parameters.TryGetProperty("/masteryParameters/prior", out _), parameters.ToString());
        Assert.True(parameters.TryGetProperty("/masteryParameters/nMasteryCount", out _), parameters.ToString());
        var wrongType = (await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new
        {
            code = NewCode("fw"), title = "Canvas", masteryParameters = new { calculationInt = "lots" },
        }), 400)).GetProperty("errors");
        Assert.True(wrongType.TryGetProperty("/masteryParameters/calculationInt", out _), wrongType.ToString());

        var good = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new
        {
            code = NewCode("fw"), title = "Canvas", masteryMethod = "standard_decaying_average", masteryParameters = new { calculationInt = 70 },
        }));
        Assert.Equal(70, good.GetProperty("masteryParameters").GetProperty("calculationInt").GetInt32());

        await SkillAsync(author, framework, "s1");
        var skillDuplicate = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code = "s1", title = "again" }), 409);
        Assert.Equal("/code", skillDuplicate.GetProperty("field").GetString());
        var other = await FrameworkAsync(author);
        var foreignParent = await SkillAsync(author, other, "elsewhere");
        var skillErrors = (await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new
        {
            code = "s2", title = "S2", parentId = foreignParent, attributes = new[] { 1 }, masteryMethod = "latest", masteryParameters = new { masteryPoints = 3 },
        }), 400)).GetProperty("errors");
        foreach (var field in new[] { "/parentId", "/attributes", "/masteryParameters/masteryPoints" })
        {
            Assert.True(skillErrors.TryGetProperty(field, out _), $"no error for {field}: {skillErrors}");
        }

        await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{Guid.NewGuid()}/skills", new { code = "x", title = "x" }), 404);
        await Json.ProblemAsync(await author.PatchAsync($"/api/v1/frameworks/{Guid.NewGuid()}", new { title = "x" }, null), 404);
        await Json.ProblemAsync(await author.GetAsync($"/api/v1/frameworks/{Guid.NewGuid()}"), 404);
        await Json.ProblemAsync(await author.GetAsync($"/api/v1/skills/{Guid.NewGuid()}"), 404);
        await Json.ProblemAsync(await author.PatchAsync($"/api/v1/skills/{Guid.NewGuid()}", new { title = "x" }, null), 404);
        await Json.ProblemAsync(await author.DeleteAsync($"/api/v1/skills/{Guid.NewGuid()}"), 404);
        await Json.ProblemAsync(await author.GetAsync($"/api/v1/skills/{Guid.NewGuid()}/prerequisites"), 404);
        await Json.ProblemAsync(await PrerequisiteAsync(author, Guid.NewGuid(), foreignParent), 404);
    }

    [Fact]
    public async Task Skills_are_patched_and_found_by_attribute_containment()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var skill = await SkillAsync(author, framework, "fractions");
        var patched = await author.PatchAsync($"/api/v1/skills/{skill}", new
        {
            title = "Fractions", attributes = new { grade = 5, tags = new[] { "number", "core" } }, masteryMethod = "highest",
        }, await author.ETagAsync($"/api/v1/skills/{skill}"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await Json.ReadAsync(patched);
        Assert.Equal("Fractions", body.GetProperty("title").GetString());
        Assert.Equal("highest", body.GetProperty("masteryMethod").GetString());
        await SkillAsync(author, framework, "decimals");

        var found = await Json.ReadAsync(await author.GetAsync($"/api/v1/skills?framework={framework}&attributes={Uri.EscapeDataString("""{"tags":["core"]}""")}"));
        Assert.Equal("fractions", Assert.Single(found.GetProperty("items").EnumerateArray()).GetProperty("code").GetString());
        var bad = await Json.ProblemAsync(await author.GetAsync($"/api/v1/skills?attributes={Uri.EscapeDataString("{not json")}"), 400);
        Assert.True(bad.GetProperty("errors").TryGetProperty("/attributes", out _));
    }

    [Fact]
    public async Task Moving_a_skill_moves_its_subtree_and_moving_it_under_its_own_descendant_is_refused_by_code()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var a = await SkillAsync(author, framework, "A");
        var b = await SkillAsync(author, framework, "B", a);
        var c = await SkillAsync(author, framework, "C", b);
        var d = await SkillAsync(author, framework, "D");

        var moved = await author.SendJsonAsync(HttpMethod.Post, $"/api/v1/skills/{b}/move", new { parentId = d }, await author.ETagAsync($"/api/v1/skills/{b}"));
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var tree = Flatten((await Json.ReadAsync(await author.GetAsync($"/api/v1/frameworks/{framework}"))).GetProperty("skills")).ToDictionary(p => p.Code, p => p.Node);
        Assert.Equal(["B"], tree["D"].GetProperty("children").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        Assert.Equal(["C"], tree["B"].GetProperty("children").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        Assert.Empty(tree["A"].GetProperty("children").EnumerateArray());
        Assert.Equal(c, await db.ScalarAsync<Guid>("SELECT id FROM hephaestus.skills WHERE parent_id = $1", b));

        var refused = await Json.ProblemAsync(await author.SendJsonAsync(HttpMethod.Post, $"/api/v1/skills/{d}/move", new { parentId = c }, await author.ETagAsync($"/api/v1/skills/{d}")), 409);
        Assert.Contains("'D'", refused.GetProperty("detail").GetString());
        Assert.Contains("'C'", refused.GetProperty("detail").GetString());
        Assert.Equal(["D", "C"], refused.GetProperty("cycle").EnumerateArray().Select(e => e.GetString()));
        await Json.ProblemAsync(await author.SendJsonAsync(HttpMethod.Post, $"/api/v1/skills/{d}/move", new { parentId = d }, await author.ETagAsync($"/api/v1/skills/{d}")), 409);
        Assert.Equal(d, await db.ScalarAsync<Guid>("SELECT parent_id FROM hephaestus.skills WHERE id = $1", b));
        Assert.True(await db.ScalarAsync<bool>("SELECT parent_id IS NULL FROM hephaestus.skills WHERE id = $1", d));

        var root = await author.SendJsonAsync(HttpMethod.Post, $"/api/v1/skills/{b}/move", new { parentId = (Guid?)null, position = 9 }, await author.ETagAsync($"/api/v1/skills/{b}"));
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal(9, (await Json.ReadAsync(root)).GetProperty("position").GetInt32());
        var required = await Json.ProblemAsync(await author.PostAsync($"/api/v1/skills/{b}/move", Json.Body("{}")), 400);
        Assert.Contains("parentId", required.GetRawText());
    }

    [Fact]
    public async Task A_skill_in_use_is_not_deleted_and_an_unused_one_is_deleted_with_its_subtree()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var used = await SkillAsync(author, framework, "used");
        var child = await SkillAsync(author, framework, "used.child", used);
        var learner = await db.CreateUserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        await db.ExecuteAsync("INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value) VALUES ($1, $2, 0.3)", learner, child);
        var refused = await Json.ProblemAsync(await author.DeleteAsync($"/api/v1/skills/{used}"), 409);
        Assert.Equal(["learner mastery"], refused.GetProperty("references").EnumerateArray().Select(r => r.GetString()));

        var free = await SkillAsync(author, framework, "free");
        var freeChild = await SkillAsync(author, framework, "free.child", free);
        Assert.Equal(HttpStatusCode.Created, (await PrerequisiteAsync(author, used, freeChild)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await author.DeleteAsync($"/api/v1/skills/{free}")).StatusCode);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.skills WHERE id = ANY ($1)", new[] { free, freeChild }));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.skill_prerequisites WHERE skill_id = $1", used));
    }

    [Fact]
    public async Task A_skill_named_only_in_a_path_steps_unlock_rule_or_a_rubric_criterion_is_not_deleted()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var gated = await SkillAsync(author, framework, "gated");
        var rated = await SkillAsync(author, framework, "rated");
        var (path, version) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await db.ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, 'P')", path, NewCode("p"));
        await db.ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)", version, path);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, unlock_rule)
            VALUES ($1, $2, 'read', 'content', $3, 'Read', 0, jsonb_build_object('any', jsonb_build_array(jsonb_build_object('mastery', jsonb_build_object('skill', $4::text, 'atLeast', 'familiar')))))
            """, Guid.CreateVersion7(), version, Catalog.Lesson, gated.ToString());
        var rubric = await author.PostAsJsonAsync("/api/v1/rubrics", new
        {
            title = "R", criteria = new[] { new { description = "c", skillId = rated, masteryPoints = 1, ratings = new[] { new { description = "ok", points = 1 } } } },
        });
        Assert.Equal(HttpStatusCode.Created, rubric.StatusCode);

        var gatedProblem = await Json.ProblemAsync(await author.DeleteAsync($"/api/v1/skills/{gated}"), 409);
        Assert.Equal(["path steps"], gatedProblem.GetProperty("references").EnumerateArray().Select(r => r.GetString()));
        var ratedProblem = await Json.ProblemAsync(await author.DeleteAsync($"/api/v1/skills/{rated}"), 409);
        Assert.Equal(["rubric criteria"], ratedProblem.GetProperty("references").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.skills WHERE framework_id = $1", framework));
    }

    [Fact]
    public async Task A_prerequisite_cycle_is_refused_and_named_by_codes_and_nothing_is_written()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var a = await SkillAsync(author, framework, "A");
        var b = await SkillAsync(author, framework, "B");
        var c = await SkillAsync(author, framework, "C");
        Assert.Equal(HttpStatusCode.Created, (await PrerequisiteAsync(author, a, c)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PrerequisiteAsync(author, a, c)).StatusCode); // idempotent
        Assert.Equal(HttpStatusCode.Created, (await PrerequisiteAsync(author, c, b)).StatusCode);

        var problem = await Json.ProblemAsync(await PrerequisiteAsync(author, b, a), 409);
        Assert.Equal(["B", "A", "C", "B"], problem.GetProperty("cycle").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("B → A → C → B", problem.GetProperty("detail").GetString());
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.skill_prerequisites WHERE skill_id = $1", b));
        var self = await Json.ProblemAsync(await PrerequisiteAsync(author, a, a), 409);
        Assert.Equal(["A", "A"], self.GetProperty("cycle").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await author.DeleteAsync($"/api/v1/skills/{c}/prerequisites/{b}")).StatusCode);
        await Json.ProblemAsync(await author.DeleteAsync($"/api/v1/skills/{c}/prerequisites/{b}"), 404);
        Assert.Equal(HttpStatusCode.Created, (await PrerequisiteAsync(author, b, a)).StatusCode);
    }

    [Fact]
    public async Task Two_concurrent_edges_that_together_close_a_cycle_are_never_both_accepted()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        for (var round = 0; round < 20; round++)
        {
            var a = await SkillAsync(author, framework, $"a{round}");
            var b = await SkillAsync(author, framework, $"b{round}");
            var responses = await Task.WhenAll(PrerequisiteAsync(author, a, b), PrerequisiteAsync(author, b, a));
            var statuses = responses.Select(r => r.StatusCode).OrderBy(s => s).ToList();
            Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], statuses);
            Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.skill_prerequisites WHERE skill_id = ANY ($1)", new[] { a, b }));
        }

        // The whole graph is still acyclic: no skill reaches itself.
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            WITH RECURSIVE walk (start, node) AS (
                SELECT skill_id, prerequisite_id FROM hephaestus.skill_prerequisites
                UNION
                SELECT w.start, p.prerequisite_id FROM walk w JOIN hephaestus.skill_prerequisites p ON p.skill_id = w.node
            )
            SELECT count(*) FROM walk WHERE start = node
            """));
    }

    [Fact]
    public async Task Prerequisites_and_dependents_are_walked_directly_or_transitively_and_the_topological_order_respects_every_edge()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var basics = await FrameworkAsync(author);
        var counting = await SkillAsync(author, basics, "counting");
        var skills = new Dictionary<string, Guid>();
        foreach (var code in new[] { "add", "sub", "mul", "div", "frac", "alone" }) skills[code] = await SkillAsync(author, framework, code);
        // frac ← div ← mul ← add ← counting (other framework); div ← sub ← add; frac ← mul (a diamond).
        foreach (var (skill, prerequisite) in new[] { ("add", "counting"), ("sub", "add"), ("mul", "add"), ("div", "mul"), ("div", "sub"), ("frac", "div"), ("frac", "mul") })
        {
            var prerequisiteId = prerequisite == "counting" ? counting : skills[prerequisite];
            Assert.Equal(HttpStatusCode.Created, (await PrerequisiteAsync(author, skills[skill], prerequisiteId)).StatusCode);
        }

        var direct = await Json.ReadAsync(await author.GetAsync($"/api/v1/skills/{skills["frac"]}/prerequisites"));
        Assert.Equal(["div", "mul"], direct.EnumerateArray().Select(s => s.GetProperty("code").GetString()).Order());
        var transitive = (await Json.ReadAsync(await author.GetAsync($"/api/v1/skills/{skills["frac"]}/prerequisites?transitive=true")))
            .EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!, s => s.GetProperty("depth").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["div"] = 1, ["mul"] = 1, ["sub"] = 2, ["add"] = 2, ["counting"] = 3 }, transitive);

        var dependents = (await Json.ReadAsync(await author.GetAsync($"/api/v1/skills/{counting}/dependents?transitive=true")))
            .EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!, s => s.GetProperty("depth").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["add"] = 1, ["sub"] = 2, ["mul"] = 2, ["div"] = 3, ["frac"] = 3 }, dependents);
        Assert.Equal(["add"], (await Json.ReadAsync(await author.GetAsync($"/api/v1/skills/{counting}/dependents?transitive=false")))
            .EnumerateArray().Select(s => s.GetProperty("code").GetString()));

        var order = (await Json.ReadAsync(await author.GetAsync($"/api/v1/frameworks/{framework}/topological-order"))).EnumerateArray().ToList();
        var codes = order.Select(s => s.GetProperty("code").GetString()!).ToList();
        Assert.Equal(["alone", "counting", "add", "mul", "sub", "div", "frac"], codes);
        Assert.True(order.Single(s => s.GetProperty("code").GetString() == "counting").GetProperty("external").GetBoolean());
        var position = order.Select((s, i) => (Id: s.GetProperty("id").GetGuid(), i)).ToDictionary(p => p.Id, p => p.i);
        foreach (var skill in order)
        {
            foreach (var prerequisite in skill.GetProperty("prerequisites").EnumerateArray())
            {
                Assert.True(position[prerequisite.GetGuid()] < position[skill.GetProperty("id").GetGuid()], $"{skill.GetProperty("code")} comes before a prerequisite");
            }
        }

        await Json.ProblemAsync(await author.GetAsync($"/api/v1/frameworks/{Guid.NewGuid()}/topological-order"), 404);
    }

    [Fact]
    public async Task A_learner_reads_the_catalog_but_cannot_write_it()
    {
        var author = await AuthorAsync();
        var framework = await FrameworkAsync(author);
        var a = await SkillAsync(author, framework, "A");
        var b = await SkillAsync(author, framework, "B");
        var (_, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");

        await Json.ProblemAsync(await learner.PostAsJsonAsync("/api/v1/frameworks", new { code = NewCode("fw"), title = "Mine" }), 403);
        await Json.ProblemAsync(await learner.PatchAsync($"/api/v1/frameworks/{framework}", new { title = "Mine" }, null), 403);
        await Json.ProblemAsync(await learner.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code = "L", title = "L" }), 403);
        await Json.ProblemAsync(await learner.PatchAsync($"/api/v1/skills/{a}", new { title = "Mine" }, null), 403);
        await Json.ProblemAsync(await learner.PostAsJsonAsync($"/api/v1/skills/{a}/move", new { parentId = b }), 403);
        await Json.ProblemAsync(await learner.DeleteAsync($"/api/v1/skills/{a}"), 403);
        await Json.ProblemAsync(await PrerequisiteAsync(learner, a, b), 403);
        await Json.ProblemAsync(await learner.DeleteAsync($"/api/v1/skills/{a}/prerequisites/{b}"), 403);

        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync($"/api/v1/frameworks/{framework}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync("/api/v1/frameworks")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync($"/api/v1/skills/{a}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync($"/api/v1/skills/{a}/prerequisites?transitive=true")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await learner.GetAsync($"/api/v1/frameworks/{framework}/topological-order")).StatusCode);
        Assert.Equal("A", await db.ScalarAsync<string>("SELECT title FROM hephaestus.skills WHERE id = $1", a));
    }
}

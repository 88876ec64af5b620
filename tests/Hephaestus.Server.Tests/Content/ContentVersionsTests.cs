using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;
using Npgsql;
using static Hephaestus.Server.Tests.Content.ContentWorld;

namespace Hephaestus.Server.Tests.Content;

public class ContentVersionsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    async Task<HttpClient> AuthorAsync() => (await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author")).Client;

    [Fact]
    public async Task An_item_is_created_read_listed_and_edited_with_if_match()
    {
        var author = await AuthorAsync();
        var framework = await Catalog.FrameworkAsync(db, "fw-" + Guid.NewGuid().ToString("N")[..8]);
        var skill = await Catalog.SkillAsync(db, framework, "frac.1");
        var item = await ItemAsync(author, "worked_example", [skill]);
        var read = await author.GetAsync($"/api/v1/content/items/{item}");
        var etag = read.Headers.ETag!.ToString();
        Assert.Equal(skill, (await Json.ReadAsync(read)).GetProperty("skills")[0].GetGuid());

        var listed = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/items?skill={skill}&kind=worked_example"));
        Assert.Equal(item, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());

        await Json.ProblemAsync(await author.PatchAsync($"/api/v1/content/items/{item}", new { title = "New" }, null), 428);
        var edited = await author.PatchAsync($"/api/v1/content/items/{item}", new { title = "Adding fractions", skills = Array.Empty<Guid>() }, etag);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var body = await Json.ReadAsync(edited);
        Assert.Equal("Adding fractions", body.GetProperty("title").GetString());
        Assert.Equal(0, body.GetProperty("skills").GetArrayLength());
        await Json.ProblemAsync(await author.PatchAsync($"/api/v1/content/items/{item}", new { title = "Stale" }, etag), 412);

        var unknown = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/content/items",
            new { key = "t/x-" + Guid.NewGuid().ToString("N")[..6], kind = "lesson", title = "T", skills = new[] { Guid.NewGuid() } }), 400);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("/skills/0", out _));
        var key = "t/dup-" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(HttpStatusCode.Created, (await author.PostAsJsonAsync("/api/v1/content/items", new { key, kind = "hint", title = "T" })).StatusCode);
        await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/content/items", new { key, kind = "hint", title = "T" }), 409);
    }

    [Fact]
    public async Task Sixteen_concurrent_creations_on_one_item_are_versions_1_to_16()
    {
        var author = await AuthorAsync();
        var sha = await BodyAsync(author, Bytes(100, 20));
        var item = await ItemAsync(author);
        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", Human(sha))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var numbers = await Task.WhenAll(responses.Select(async r => (await Json.ReadAsync(r)).GetProperty("version").GetInt32()));
        Assert.Equal(Enumerable.Range(1, 16), numbers.Order());
        // Listed newest first in keyset pages: two pages of 10 and 6, every version once.
        var first = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/items/{item}/versions?limit=10"));
        var next = first.GetProperty("next").GetString();
        var second = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/items/{item}/versions?limit=10&after={next}"));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.Equal(Enumerable.Range(1, 16).Reverse(), first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray())
            .Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(16, (await Json.ReadAsync(await author.GetAsync($"/api/v1/content/items/{item}"))).GetProperty("latestVersion").GetInt32());
    }

    [Fact]
    public async Task A_generated_version_records_its_provenance_and_malformed_provenance_names_the_field()
    {
        var author = await AuthorAsync();
        var sha = await BodyAsync(author, Bytes(100, 21));
        var item = await ItemAsync(author);
        var prompt = new string('a', 64);
        var created = await VersionAsync(author, item, new
        {
            body = new { sha256 = sha }, mediaType = "text/markdown",
            provenance = new
            {
                origin = "generated", model = "gpt-test-1", promptTemplate = new { id = "lesson-writer", version = "3" }, promptSha256 = prompt,
                parameters = new { temperature = 0.2 }, groundingSources = new[] { new { uri = "https://example.org/fractions", title = "Fractions" } },
                tokens = new { input = 1200, output = 800 }, costUsd = 0.0123m, latencyMs = 2300,
            },
            metadata = new { language = "en", readingLevel = 5 },
        });
        var provenance = created.GetProperty("provenance");
        Assert.Equal("gpt-test-1", provenance.GetProperty("model").GetString());
        Assert.Equal("3", provenance.GetProperty("promptTemplate").GetProperty("version").GetString());
        Assert.Equal(800, provenance.GetProperty("tokens").GetProperty("output").GetInt32());
        Assert.Equal("https://example.org/fractions", provenance.GetProperty("groundingSources")[0].GetProperty("uri").GetString());
        Assert.Equal(0.0123m, provenance.GetProperty("costUsd").GetDecimal());
        Assert.Equal("draft", created.GetProperty("status").GetString());
        Assert.Equal(100, created.GetProperty("body").GetProperty("size").GetInt64());

        var versionsBefore = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_versions");
        var noModel = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", new
        {
            body = new { sha256 = sha }, mediaType = "text/markdown", provenance = new { origin = "generated", promptTemplate = new { id = "t", version = "1" } },
        }), 422);
        Assert.True(noModel.GetProperty("errors").TryGetProperty("/provenance/model", out _));
        var badOrigin = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", new
        {
            body = new { sha256 = sha }, mediaType = "text/markdown", provenance = new { origin = "magic" },
        }), 422);
        Assert.True(badOrigin.GetProperty("errors").TryGetProperty("/provenance/origin", out _));
        var humanWithModel = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", new
        {
            body = new { sha256 = sha }, mediaType = "text/markdown", provenance = new { origin = "human", model = "x", tokens = new { input = -1, output = 0 } },
        }), 422);
        Assert.True(humanWithModel.GetProperty("errors").TryGetProperty("/provenance", out _));
        var noBody = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", Human(new string('b', 64))), 422);
        Assert.True(noBody.GetProperty("errors").TryGetProperty("/body/sha256", out _));
        var badType = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", new
        {
            body = new { sha256 = sha }, mediaType = "application/x-sh", provenance = new { origin = "human" },
        }), 400);
        Assert.True(badType.GetProperty("errors").TryGetProperty("/mediaType", out _));
        Assert.Equal(versionsBefore, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_versions"));
        Assert.Equal(1, (await Json.ReadAsync(await author.GetAsync($"/api/v1/content/items/{item}"))).GetProperty("latestVersion").GetInt32());
    }

    [Fact]
    public async Task Lineage_walks_both_ways_and_regeneration_stays_within_the_item()
    {
        var author = await AuthorAsync();
        var sha = await BodyAsync(author, Bytes(100, 22));
        var lesson = await ItemAsync(author);
        var hint = await ItemAsync(author, "hint");
        var v1 = (await VersionAsync(author, lesson, Human(sha))).GetProperty("id").GetGuid();
        var v2 = (await VersionAsync(author, lesson, Human(sha, regeneratedFrom: v1))).GetProperty("id").GetGuid();
        var v3 = (await VersionAsync(author, lesson, Human(sha, derivedFrom: v2))).GetProperty("id").GetGuid();
        var h1 = (await VersionAsync(author, hint, Human(sha, derivedFrom: v2))).GetProperty("id").GetGuid();

        var fromMiddle = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/versions/{v2}/lineage"));
        Assert.Equal([(v1, 1)], Entries(fromMiddle, "ancestors"));
        Assert.Equal(new[] { (v3, 1), (h1, 1) }.OrderBy(e => e.Item1), Entries(fromMiddle, "descendants").OrderBy(e => e.Item1));
        var fromHint = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/versions/{h1}/lineage"));
        Assert.Equal([(v2, 1), (v1, 2)], Entries(fromHint, "ancestors"));
        Assert.Empty(Entries(fromHint, "descendants"));
        var fromRoot = await Json.ReadAsync(await author.GetAsync($"/api/v1/content/versions/{v1}/lineage"));
        Assert.Equal(3, Entries(fromRoot, "descendants").Count);

        var crossItem = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{hint}/versions", Human(sha, regeneratedFrom: v1)), 422);
        Assert.True(crossItem.GetProperty("errors").TryGetProperty("/regeneratedFrom", out _));
        var missing = await Json.ProblemAsync(await author.PostAsJsonAsync($"/api/v1/content/items/{hint}/versions", Human(sha, derivedFrom: Guid.NewGuid())), 422);
        Assert.True(missing.GetProperty("errors").TryGetProperty("/derivedFrom", out _));
        await Json.ProblemAsync(await author.GetAsync($"/api/v1/content/versions/{Guid.NewGuid()}/lineage"), 404);
    }

    static List<(Guid, int)> Entries(JsonElement lineage, string direction) =>
        [.. lineage.GetProperty(direction).EnumerateArray().Select(e => (e.GetProperty("version").GetProperty("id").GetGuid(), e.GetProperty("depth").GetInt32()))];

    [Fact]
    public async Task Metadata_is_searched_by_containment_and_json_path_and_a_bad_path_names_the_parameter()
    {
        var author = await AuthorAsync();
        var sha = await BodyAsync(author, Bytes(100, 23));
        var item = await ItemAsync(author);
        var tag = "tag-" + Guid.NewGuid().ToString("N")[..8];
        var easy = (await VersionAsync(author, item, Human(sha, new { language = "en", readingLevel = 3, tags = new[] { tag, "fractions" } }))).GetProperty("id").GetGuid();
        var hard = (await VersionAsync(author, item, Human(sha, new { language = "en", readingLevel = 9, tags = new[] { tag } }))).GetProperty("id").GetGuid();
        _ = await VersionAsync(author, item, Human(sha, new { language = "fr", tags = new[] { "other" } }));

        async Task<List<Guid>> SearchAsync(string query) =>
            [.. (await Json.ReadAsync(await author.GetAsync("/api/v1/content/versions?" + query))).GetProperty("items").EnumerateArray().Select(v => v.GetProperty("id").GetGuid())];

        var containment = Uri.EscapeDataString(JsonSerializer.Serialize(new { tags = new[] { tag } }));
        Assert.Equal([easy, hard], await SearchAsync($"metadata={containment}"));
        Assert.Equal([easy], await SearchAsync($"metadata={Uri.EscapeDataString("{\"tags\":[\"fractions\"]}")}&jsonPath={Uri.EscapeDataString($"$.tags[*] ? (@ == \"{tag}\")")}"));
        Assert.Equal([hard], await SearchAsync($"metadata={containment}&jsonPath={Uri.EscapeDataString("$.readingLevel ? (@ > 5)")}"));

        var bad = await Json.ProblemAsync(await author.GetAsync($"/api/v1/content/versions?jsonPath={Uri.EscapeDataString("$.tags[*? (@ ==")}"), 400);
        Assert.True(bad.GetProperty("errors").TryGetProperty("/jsonPath", out _));
        var notObject = await Json.ProblemAsync(await author.GetAsync("/api/v1/content/versions?metadata=%5B1%5D"), 400);
        Assert.True(notObject.GetProperty("errors").TryGetProperty("/metadata", out _));
        await Json.ProblemAsync(await author.GetAsync("/api/v1/content/versions"), 400);
    }

    [Fact]
    public async Task Metadata_search_uses_the_gin_index_for_rare_filters_on_every_call_and_pages_exactly_as_a_plain_query()
    {
        var author = await AuthorAsync();
        var sha = await BodyAsync(author, Bytes(100, 24));
        var item = await ItemAsync(author);
        // Enough rows that a sequential scan loses: 20,000 versions with varied metadata, as the owner (one statement).
        await db.ExecuteAsync("""
            WITH n AS (UPDATE hephaestus.content_items SET latest_version = latest_version + 20000 WHERE id = $1 RETURNING latest_version - 20000 AS base)
            INSERT INTO hephaestus.content_versions (content_item_id, version, body_sha256, media_type, origin, metadata)
            SELECT $1, n.base + g, $2, 'text/markdown', 'human', jsonb_build_object('language', 'l' || (g % 50), 'readingLevel', g % 12, 'batch', g % 997)
            FROM n, generate_series(1, 20000) g
            """, item, sha);
        await db.ExecuteAsync("ANALYZE hephaestus.content_versions");

        // The search runs as the application login under row-level security, where jsonb's operators (not leakproof)
        // cannot use the index; content_version_ids_matching finds the ids with the owner's rights. Its statements'
        // plans, shown by auto_explain as notices for nested statements, must reach the GIN index for a rare filter, on
        // the tenth call as on the first (each call is planned with its values; PL/pgSQL may otherwise keep a generic
        // plan after five calls, made without the filter's value).
        // auto_explain is loaded by a superuser, on this test's database.
        var cluster = await TestCluster.GetAsync();
        var database = new NpgsqlConnectionStringBuilder(db.Owner.ConnectionString).Database;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.SuperuserConnectionString) { Database = database }.ConnectionString);
        await connection.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await using (var explain = new NpgsqlCommand("""
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice;
            SELECT set_config('hephaestus.user_id', gen_random_uuid()::text, false), set_config('hephaestus.roles', '{author}', false);
            """, connection))
        {
            await explain.ExecuteNonQueryAsync();
        }

        for (var call = 0; call < 10; call++)
        {
            notices.Clear();
            await using var search = new NpgsqlCommand("SELECT count(*) FROM hephaestus.content_version_ids_matching($1::jsonb, NULL, NULL, 51)", connection);
            search.Parameters.AddWithValue($$"""{"batch": {{17 + call}}, "language": "l{{17 + call}}"}""");
            Assert.True((long)(await search.ExecuteScalarAsync())! > 0);
            var plan = string.Join("\n", notices).Split('\n');
            Assert.Contains(plan, line => line.Contains("Bitmap Index Scan on ix_content_versions_metadata", StringComparison.Ordinal));
        }

        // Whichever way the function finds a page (walking the primary key, or the index), it is the page a plain query
        // finds: filters from common (1 in 12) to none, from the start and from a cursor in the middle.
        await using (var quiet = new NpgsqlCommand("SET auto_explain.log_min_duration = -1", connection))
        {
            await quiet.ExecuteNonQueryAsync();
        }
        Guid middle;
        await using (var pick = new NpgsqlCommand("SELECT id FROM hephaestus.content_versions ORDER BY id OFFSET 5000 LIMIT 1", connection))
        {
            middle = (Guid)(await pick.ExecuteScalarAsync())!;
        }
        string?[] containments = ["""{"readingLevel": 3}""", """{"language": "l17"}""", """{"language": "l17", "readingLevel": 5}""",
            """{"batch": 17, "language": "l17"}""", """{"language": "none"}""", null];
        string?[] paths = [null, "$.batch ? (@ == 500)"];
        foreach (var contains in containments)
        foreach (var path in paths)
        foreach (Guid? after in new Guid?[] { null, middle })
        {
            if (contains is null && path is null) continue;
            await using var compare = new NpgsqlCommand("""
                SELECT (SELECT coalesce(array_agg(x), '{}') FROM hephaestus.content_version_ids_matching($1::jsonb, $2::jsonpath, $3, 51) x),
                       (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM (
                            SELECT v.id FROM hephaestus.content_versions v
                            WHERE ($1::jsonb IS NULL OR v.metadata @> $1::jsonb) AND ($2::jsonpath IS NULL OR v.metadata @? $2::jsonpath)
                              AND ($3::uuid IS NULL OR v.id > $3) ORDER BY v.id LIMIT 51) s)
                """, connection);
            compare.Parameters.Add(new NpgsqlParameter { Value = (object?)contains ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            compare.Parameters.Add(new NpgsqlParameter { Value = (object?)path ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            compare.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            await using var reader = await compare.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var found = reader.GetFieldValue<Guid[]>(0);
            var expected = reader.GetFieldValue<Guid[]>(1);
            Assert.True(expected.SequenceEqual(found), $"{contains} {path} after {after}: {found.Length} ids, expected {expected.Length}");
        }
    }

    [Fact]
    public async Task An_item_bank_item_names_the_content_version_its_stem_came_from_per_version()
    {
        var author = await AuthorAsync();
        var framework = await Catalog.FrameworkAsync(db, "fw-" + Guid.NewGuid().ToString("N")[..8]);
        var skill = await Catalog.SkillAsync(db, framework, "stems");
        var stem = (await VersionAsync(author, await ItemAsync(author, "item_stem"), Human(await BodyAsync(author, Bytes(64, 31))))).GetProperty("id").GetGuid();
        object Definition(string prompt) => new
        {
            type = "single_choice", prompt, points = 1,
            options = new[] { new { id = "a", text = "3/4" }, new { id = "b", text = "2/6" } }, correctOptionId = "a",
        };
        var skills = new[] { new { skillId = skill, weight = 1 } };

        var created = await author.PostAsJsonAsync("/api/v1/items", new { definition = Definition("1/2 + 1/4 = ?"), skills, stemContentVersionId = stem });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var item = await Json.ReadAsync(created);
        Assert.Equal(stem, item.GetProperty("stemContentVersionId").GetGuid());
        var itemId = item.GetProperty("itemId").GetGuid();
        Assert.Equal(stem, await db.ScalarAsync<Guid>("SELECT stem_content_version_id FROM hephaestus.item_versions WHERE id = $1", item.GetProperty("versionId").GetGuid()));

        // A hand-written next version has no stem source; the first keeps its own.
        var edited = await Json.ReadAsync(await author.PutAsJsonAsync($"/api/v1/items/{itemId}", new { definition = Definition("1/4 + 1/2 = ?"), skills }));
        Assert.Equal(JsonValueKind.Null, edited.GetProperty("stemContentVersionId").ValueKind);
        var first = await Json.ReadAsync(await author.GetAsync($"/api/v1/items/{itemId}?version=1"));
        Assert.Equal(stem, first.GetProperty("stemContentVersionId").GetGuid());

        // A content version that does not exist is a field error, and nothing is written.
        var versions = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions WHERE item_id = $1", itemId);
        var unknown = await Json.ProblemAsync(await author.PutAsJsonAsync($"/api/v1/items/{itemId}",
            new { definition = Definition("?"), skills, stemContentVersionId = Guid.NewGuid() }), 400);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("/stemContentVersionId", out _));
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions WHERE item_id = $1", itemId));
        var notCreated = await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/items",
            new { definition = Definition("?"), skills = new[] { new { skillId = Guid.NewGuid(), weight = 1 } }, stemContentVersionId = Guid.NewGuid() }), 400);
        Assert.True(notCreated.GetProperty("errors").TryGetProperty("/stemContentVersionId", out _));
        Assert.True(notCreated.GetProperty("errors").TryGetProperty("/skills/0/skillId", out _));
    }

    [Fact]
    public async Task Learners_do_not_write_or_browse_content_and_writers_are_one_policy()
    {
        var (_, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        await Json.ProblemAsync(await learner.PostAsJsonAsync("/api/v1/content/items", new { key = "t/nope", kind = "lesson", title = "T" }), 403);
        await Json.ProblemAsync(await learner.GetAsync("/api/v1/content/items"), 403);
        var author = await AuthorAsync();
        var item = await ItemAsync(author);
        var version = await VersionAsync(author, item, Human(await BodyAsync(author, Bytes(10, 25))));
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/versions/{version.GetProperty("id").GetGuid()}"), 403);
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/versions/{version.GetProperty("id").GetGuid()}/body"), 403);
        await Json.ProblemAsync(await learner.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", Human(new string('c', 64))), 403);
        // The database agrees: the application role acting as a learner may not write content.
        var refusal = await db.AppRefusalAsync("INSERT INTO hephaestus.content_items (key, kind, title) VALUES ('t/app', 'lesson', 'T')");
        Assert.Equal("42501", refusal);
        // An educator reads every version (drafts included) but does not write.
        var (_, educator) = await db.UserAsync($"educator-{Guid.NewGuid():N}@example.org", "educator");
        Assert.Equal(HttpStatusCode.OK, (await educator.GetAsync($"/api/v1/content/items/{item}/versions")).StatusCode);
        await Json.ProblemAsync(await educator.PostAsJsonAsync("/api/v1/content/items", new { key = "t/edu", kind = "lesson", title = "T" }), 403);
    }
}

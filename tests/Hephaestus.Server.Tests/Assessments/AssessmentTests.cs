using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Domain.Mastery;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Assessments;

public class AssessmentTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed record World(HttpClient Author, Guid Skill, Guid LearnerId, HttpClient Learner);

    async Task<World> WorldAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, author) = await db.UserAsync($"a-{tag}@assess.test", "author");
        var (learnerId, learner) = await db.UserAsync($"l-{tag}@assess.test", "learner");
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        return new World(author, await Catalog.SkillAsync(db, framework, "fractions"), learnerId, learner);
    }

    static object SingleChoice(string correct) => new
    {
        type = "single_choice",
        prompt = "1/2 + 1/4 = ?",
        points = 2,
        options = new[] { new { id = "a", text = "2/6" }, new { id = "b", text = "3/4" }, new { id = "c", text = "1/8" } },
        correctOptionId = correct,
    };

    async Task<(Guid ItemId, Guid VersionId)> ItemAsync(World w, object definition)
    {
        var response = await w.Author.PostAsJsonAsync("/api/v1/items", new { definition, skills = new[] { new { skillId = w.Skill, weight = 1 } } });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await Json.ReadAsync(response);
        return (body.GetProperty("itemId").GetGuid(), body.GetProperty("versionId").GetGuid());
    }

    async Task<Guid> AssessmentAsync(World w, Guid itemId, object? settings = null)
    {
        var response = await w.Author.PostAsJsonAsync("/api/v1/assessments", new { title = "Quiz", parts = new[] { new { itemId } }, settings });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("id").GetGuid();
    }

    async Task<JsonElement> StartAsync(World w, Guid assessment)
    {
        var response = await w.Learner.PostAsync($"/api/v1/assessments/{assessment}/attempts", null);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    static HttpRequestMessage SubmitRequest(World w, JsonElement attempt, object? body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}/submit")
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task A_learner_answers_and_submits_and_the_server_scores_without_ever_showing_the_key()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var assessment = await AssessmentAsync(w, itemId, new { feedback = "full", passScore = 0.5 });
        var attempt = await StartAsync(w, assessment);
        var shown = attempt.GetProperty("items")[0].GetProperty("item");
        Assert.False(shown.TryGetProperty("correctOptionId", out _));
        Assert.DoesNotContain("correct", attempt.GetRawText(), StringComparison.OrdinalIgnoreCase);
        await Json.ProblemAsync(await w.Learner.GetAsync($"/api/v1/items/{itemId}"), 403);

        var attemptUrl = $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}";
        Assert.Equal(HttpStatusCode.NoContent, (await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { optionId = "a" } })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { optionId = "b" } })).StatusCode);

        var submitted = await w.Learner.SendAsync(SubmitRequest(w, attempt, null, null));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var result = await Json.ReadAsync(submitted);
        Assert.Equal(1.0, result.GetProperty("score").GetDouble());
        Assert.True(result.GetProperty("passed").GetBoolean());
        Assert.Equal(2m, result.GetProperty("points").GetDecimal());
        Assert.DoesNotContain("correctOptionId", result.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1 AND source = 'item_response'", w.LearnerId));
        Assert.Equal(0.589412, (double)(await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.LearnerId)), 5);
        await Json.ProblemAsync(await w.Learner.SendAsync(SubmitRequest(w, attempt, null, null)), 409);
    }

    [Fact]
    public async Task Pools_draw_distinct_current_versions_by_skill_and_refuse_when_too_small()
    {
        var w = await WorldAsync();
        for (var i = 0; i < 3; i++) await ItemAsync(w, SingleChoice("b"));
        var pooled = await w.Author.PostAsJsonAsync("/api/v1/assessments", new { title = "Pool", parts = new[] { new { poolSkillId = w.Skill, poolCount = 2 } } });
        var attempt = await StartAsync(w, (await Json.ReadAsync(pooled)).GetProperty("id").GetGuid());
        var drawn = attempt.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemVersionId").GetGuid()).ToList();
        Assert.Equal(2, drawn.Distinct().Count());

        var tooBig = await w.Author.PostAsJsonAsync("/api/v1/assessments", new { title = "Too big", parts = new[] { new { poolSkillId = w.Skill, poolCount = 4 } } });
        var id = (await Json.ReadAsync(tooBig)).GetProperty("id").GetGuid();
        await Json.ProblemAsync(await w.Learner.PostAsync($"/api/v1/assessments/{id}/attempts", null), 409);
        var unknown = await Json.ProblemAsync(await w.Author.PostAsJsonAsync("/api/v1/assessments", new { title = "X", parts = new[] { new { poolSkillId = Guid.NewGuid(), poolCount = 1 } } }), 400);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("/parts/0/poolSkillId", out _));
    }

    [Fact]
    public async Task Another_learner_can_neither_read_answer_nor_submit_an_attempt()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var attempt = await StartAsync(w, await AssessmentAsync(w, itemId));
        var url = $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}";
        var (_, other) = await db.UserAsync($"other-{Guid.NewGuid():N}@assess.test", "learner");
        await Json.ProblemAsync(await other.GetAsync(url), 404);
        await Json.ProblemAsync(await other.PutAsJsonAsync($"{url}/responses/{versionId}", new { response = new { optionId = "b" } }), 404);
        await Json.ProblemAsync(await other.PostAsync($"{url}/submit", null), 404);
        Assert.Equal("in_progress", await db.ScalarAsync<string>("SELECT status FROM hephaestus.attempts WHERE learner_id = $1", w.LearnerId));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempt_responses WHERE learner_id = $1", w.LearnerId));
        // An author sees the item with its key; an anonymous caller sees nothing.
        var full = await Json.ReadAsync(await w.Author.GetAsync($"/api/v1/items/{itemId}"));
        Assert.Equal("b", full.GetProperty("definition").GetProperty("correctOptionId").GetString());
        await Json.ProblemAsync(await db.Api.CreateClient().GetAsync(url), 401);
    }

    [Fact]
    public async Task Bad_items_and_bad_responses_are_named_and_change_nothing()
    {
        var w = await WorldAsync();
        var before = await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions");
        var bad = await w.Author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new { type = "single_choice", prompt = "", options = new[] { new { id = "a", text = "x" }, new { id = "a", text = "y" } }, correctOptionId = "z" },
            skills = new[] { new { skillId = Guid.NewGuid(), weight = 2 } },
        });
        var problem = await Json.ProblemAsync(bad, 400);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains(fields, f => f.StartsWith("/definition/prompt", StringComparison.Ordinal));
        Assert.Contains(fields, f => f.StartsWith("/definition/options/1", StringComparison.Ordinal));
        Assert.Contains("/skills/0/weight", fields);
        Assert.Equal(before, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions"));

        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var attempt = await StartAsync(w, await AssessmentAsync(w, itemId));
        var attemptUrl = $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}";
        await Json.ProblemAsync(await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { optionId = "q" } }), 400);
        await Json.ProblemAsync(await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { value = 3 } }), 400);
        var notInAttempt = await Json.ProblemAsync(await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{Guid.NewGuid()}", new { response = new { optionId = "a" } }), 400);
        Assert.True(notInAttempt.GetProperty("errors").TryGetProperty("/itemVersionId", out _));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempt_responses WHERE learner_id = $1", w.LearnerId));
    }

    [Fact]
    public async Task The_attempt_limit_holds_even_for_concurrent_starts()
    {
        var w = await WorldAsync();
        var (itemId, _) = await ItemAsync(w, SingleChoice("b"));
        var assessment = await AssessmentAsync(w, itemId, new { attemptsAllowed = 1 });
        var starts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => w.Learner.PostAsync($"/api/v1/assessments/{assessment}/attempts", null)));
        Assert.Single(starts, s => s.StatusCode == HttpStatusCode.Created);
        Assert.All(starts, s => Assert.True(s.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)); // the others get the open attempt
        var attempt = await Json.ReadAsync(starts.First(s => s.StatusCode == HttpStatusCode.Created));
        Assert.Equal(HttpStatusCode.Created, (await w.Learner.SendAsync(SubmitRequest(w, attempt, null, null))).StatusCode);
        var refused = await Json.ProblemAsync(await w.Learner.PostAsync($"/api/v1/assessments/{assessment}/attempts", null), 409);
        Assert.Equal(1, refused.GetProperty("attemptsUsed").GetInt32());
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempts WHERE learner_id = $1", w.LearnerId));
    }

    [Fact]
    public async Task Idempotency_key_replays_the_first_response_refuses_another_body_and_applies_once_under_concurrency()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var assessment = await AssessmentAsync(w, itemId);
        var attempt = await StartAsync(w, assessment);
        var body = new Dictionary<string, object> { ["responses"] = new Dictionary<Guid, object> { [versionId] = new { optionId = "b" } } };

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => w.Learner.SendAsync(SubmitRequest(w, attempt, body, "key-1"))));
        var created = results.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.All(results, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        var first = await created[0].Content.ReadAsStringAsync();
        foreach (var r in created) Assert.Equal(first, await r.Content.ReadAsStringAsync());

        var replay = await w.Learner.SendAsync(SubmitRequest(w, attempt, body, "key-1"));
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(first, await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());

        var other = new Dictionary<string, object> { ["responses"] = new Dictionary<Guid, object> { [versionId] = new { optionId = "a" } } };
        await Json.ProblemAsync(await w.Learner.SendAsync(SubmitRequest(w, attempt, other, "key-1")), 422);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.results WHERE learner_id = $1", w.LearnerId));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.LearnerId));
    }

    [Fact]
    public async Task The_server_enforces_the_time_limit()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var attempt = await StartAsync(w, await AssessmentAsync(w, itemId, new { timeLimitSeconds = 60 }));
        var id = attempt.GetProperty("id").GetGuid();
        var attemptUrl = $"/api/v1/learners/{w.LearnerId}/attempts/{id}";
        Assert.Equal(HttpStatusCode.NoContent, (await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { optionId = "a" } })).StatusCode);
        // Time passes: the deadline moves into the past (as the owner; nothing in the API can do that).
        await db.ExecuteAsync("UPDATE hephaestus.attempts SET deadline_at = now() - interval '1 second' WHERE learner_id = $1 AND id = $2", w.LearnerId, id);
        await Json.ProblemAsync(await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{versionId}", new { response = new { optionId = "b" } }), 409);
        var late = new Dictionary<string, object> { ["responses"] = new Dictionary<Guid, object> { [versionId] = new { optionId = "b" } } };
        var result = await Json.ReadAsync(await w.Learner.SendAsync(SubmitRequest(w, attempt, late, null)));
        Assert.Equal(0.0, result.GetProperty("score").GetDouble()); // the answer saved in time ("a") was scored, not the late one
    }

    [Fact]
    public async Task A_regrade_writes_a_new_revision_and_mastery_forgets_the_superseded_evidence()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("a")); // wrong key: "b" is right
        var attempt = await StartAsync(w, await AssessmentAsync(w, itemId));
        var answers = new Dictionary<string, object> { ["responses"] = new Dictionary<Guid, object> { [versionId] = new { optionId = "b" } } };
        Assert.Equal(0.0, (await Json.ReadAsync(await w.Learner.SendAsync(SubmitRequest(w, attempt, answers, null)))).GetProperty("score").GetDouble());
        var wrongMastery = await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.LearnerId);

        var fixedKey = await w.Author.PutAsJsonAsync($"/api/v1/items/{itemId}", new { definition = SingleChoice("b"), skills = new[] { new { skillId = w.Skill, weight = 1 } } });
        Assert.Equal(2, (await Json.ReadAsync(fixedKey)).GetProperty("version").GetInt32());
        var (_, admin) = await db.UserAsync($"admin-{Guid.NewGuid():N}@assess.test", "admin");
        await Json.ProblemAsync(await w.Author.PostAsJsonAsync($"/api/v1/items/{itemId}/regrade", new { fromVersion = 1 }), 403);
        var regrade = await Json.ReadAsync(await admin.PostAsJsonAsync($"/api/v1/items/{itemId}/regrade", new { fromVersion = 1 }));
        Assert.Equal(1, regrade.GetProperty("attempts").GetInt32());
        // Running it again finds nothing left to do.
        Assert.Equal(0, (await Json.ReadAsync(await admin.PostAsJsonAsync($"/api/v1/items/{itemId}/regrade", new { fromVersion = 1 }))).GetProperty("attempts").GetInt32());

        Assert.Equal(0m, await db.ScalarAsync<decimal>("SELECT score FROM hephaestus.results WHERE learner_id = $1 AND revision = 1", w.LearnerId));
        Assert.Equal(1m, await db.ScalarAsync<decimal>("SELECT score FROM hephaestus.results WHERE learner_id = $1 AND revision = 2", w.LearnerId));
        var corrected = (double)(await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.LearnerId));
        Assert.NotEqual((double)wrongMastery, corrected);
        Assert.Equal(0.589412, corrected, 5); // exactly one correct observation: the superseded incorrect one no longer counts
    }

    [Fact]
    public async Task Sixty_four_concurrent_submissions_for_one_learner_and_skill_lose_no_update()
    {
        var w = await WorldAsync();
        var (itemId, versionId) = await ItemAsync(w, SingleChoice("b"));
        var assessment = await AssessmentAsync(w, itemId);
        // 64 open attempts with their answers, arranged directly (the API reuses an open attempt rather than opening another).
        var ids = Enumerable.Range(0, 64).Select(_ => Guid.CreateVersion7()).ToList();
        for (var i = 0; i < 64; i++)
        {
            await db.ExecuteAsync("INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids) VALUES ($1, $2, $3, $4, $5)",
                w.LearnerId, ids[i], assessment, i + 1, new[] { versionId });
            await db.ExecuteAsync("INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response) VALUES ($1, $2, $3, $4::jsonb)",
                w.LearnerId, ids[i], versionId, i % 3 == 0 ? "{\"optionId\":\"a\"}" : "{\"optionId\":\"b\"}");
        }

        var submissions = await Task.WhenAll(ids.Select(id =>
            w.Learner.PostAsync($"/api/v1/learners/{w.LearnerId}/attempts/{id}/submit", null)));
        foreach (var s in submissions) Assert.True(s.StatusCode == HttpStatusCode.Created, await s.Content.ReadAsStringAsync());

        Assert.Equal(64L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.LearnerId));
        Assert.Equal(64, await db.ScalarAsync<int>("SELECT evidence_count FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.LearnerId));
        var observations = new List<Observation>();
        await using (var command = db.Owner.CreateCommand("SELECT score, observed_at FROM hephaestus.evidence WHERE learner_id = $1 ORDER BY observed_at, skill_seq"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = w.LearnerId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) observations.Add(new Observation((double)reader.GetDecimal(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        Assert.Equal(22, observations.Count(o => o.Score == 0));
        var replayed = MasteryState.Replay(MasteryParameters.Default, observations).Value(MasteryParameters.Default)!.Value;
        var stored = (double)await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.LearnerId);
        Assert.Equal(Math.Round(replayed, 5), stored, 5);
    }
}

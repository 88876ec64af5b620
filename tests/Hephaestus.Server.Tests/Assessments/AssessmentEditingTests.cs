using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Assessments;

/// <summary>PATCH with If-Match, versions made by edits after attempts, retirement, availability windows, late submissions.</summary>
public class AssessmentEditingTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed record World(HttpClient Author, Guid Skill, string Tag);

    async Task<World> WorldAsync()
    {
        var tag = "z" + Guid.NewGuid().ToString("N")[..8]; // a word for text search, whatever the hex digits
        var (_, author) = await db.UserAsync($"a-{tag}@edit.test", "author");
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        return new World(author, await Catalog.SkillAsync(db, framework, "s"), tag);
    }

    async Task<(Guid Id, HttpClient Client)> LearnerAsync(World w, string name) =>
        await db.UserAsync($"{name}-{w.Tag}@edit.test", "learner");

    static async Task<(Guid ItemId, Guid VersionId)> ItemAsync(World w, string correct, int points)
    {
        var definition = new
        {
            type = "single_choice", prompt = "Pick " + correct, points,
            options = new[] { new { id = "a", text = "A" }, new { id = "b", text = "B" } }, correctOptionId = correct,
        };
        var response = await w.Author.PostAsJsonAsync("/api/v1/items", new { definition, skills = new[] { new { skillId = w.Skill } } });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await Json.ReadAsync(response);
        return (body.GetProperty("itemId").GetGuid(), body.GetProperty("versionId").GetGuid());
    }

    static async Task<(Guid Id, string ETag)> AssessmentAsync(World w, Guid[] items, object? settings = null, object? schedule = null, string? title = null,
        object[]? parts = null)
    {
        var response = await w.Author.PostAsJsonAsync("/api/v1/assessments",
            new { title = title ?? "Quiz " + w.Tag, parts = parts ?? [.. items.Select(itemId => (object)new { itemId })], settings, schedule });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return ((await Json.ReadAsync(response)).GetProperty("id").GetGuid(), response.Headers.ETag!.Tag);
    }

    static async Task<JsonElement> StartAsync(HttpClient learner, Guid assessment)
    {
        var response = await learner.PostAsync($"/api/v1/assessments/{assessment}/attempts", null);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    static async Task<JsonElement> SubmitAsync(HttpClient learner, Guid learnerId, JsonElement attempt, object? responses = null)
    {
        var response = await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", new { responses });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    static string IsoNow(TimeSpan offset) => DateTimeOffset.UtcNow.Add(offset).ToString("O");

    [Fact]
    public async Task An_edit_needs_If_Match_refuses_a_stale_one_and_edits_in_place_while_no_one_attempted()
    {
        var w = await WorldAsync();
        var (item, _) = await ItemAsync(w, "a", 1);
        var (id, etag) = await AssessmentAsync(w, [item]);
        var url = $"/api/v1/assessments/{id}";

        await Json.ProblemAsync(await w.Author.PatchAsync(url, new { title = "Renamed" }, null), 428);
        var stale = await Json.ProblemAsync(await w.Author.PatchAsync(url, new { title = "Renamed" }, "\"1\""), 412);
        Assert.Equal(etag, stale.GetProperty("currentETag").GetString());
        Assert.Equal("Quiz " + w.Tag, await db.ScalarAsync<string>("SELECT title FROM hephaestus.assessments WHERE id = $1", id));

        var edited = await w.Author.PatchAsync(url, new { title = "Renamed", description = "About things", settings = new { passScore = 0.7 } }, etag);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var body = await Json.ReadAsync(edited);
        Assert.Equal("Renamed", body.GetProperty("title").GetString());
        Assert.Equal("About things", body.GetProperty("description").GetString());
        Assert.Equal(0.7, body.GetProperty("settings").GetProperty("passScore").GetDouble());
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.NotEqual(etag, edited.Headers.ETag!.Tag);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.assessment_versions WHERE assessment_id = $1", id));
        // The ETag read before the edit is stale now.
        await Json.ProblemAsync(await w.Author.PatchAsync(url, new { title = "Again" }, etag), 412);
        var get = await w.Author.GetAsync(url);
        Assert.Equal(edited.Headers.ETag!.Tag, get.Headers.ETag!.Tag);

        var (_, learner) = await LearnerAsync(w, "l");
        await Json.ProblemAsync(await learner.PatchAsync(url, new { title = "Mine" }, edited.Headers.ETag!.Tag), 403);
    }

    [Fact]
    public async Task An_edit_after_attempts_makes_version_2_and_an_open_attempt_on_version_1_is_still_scored_by_version_1()
    {
        var w = await WorldAsync();
        var (item1, version1) = await ItemAsync(w, "a", 2);
        var (item2, version2) = await ItemAsync(w, "a", 1);
        var (id, etag) = await AssessmentAsync(w, [item1, item2], settings: new { passScore = 0.5, feedback = "full" });
        var (firstId, first) = await LearnerAsync(w, "first");
        var attempt = await StartAsync(first, id);
        Assert.Equal(1, attempt.GetProperty("assessmentVersion").GetInt32());

        var edited = await w.Author.PatchAsync($"/api/v1/assessments/{id}",
            new { parts = new[] { new { itemId = item2 } }, settings = new { passScore = 0.9, feedback = "full" } }, etag);
        Assert.True(edited.StatusCode == HttpStatusCode.OK, await edited.Content.ReadAsStringAsync());
        var body = await Json.ReadAsync(edited);
        Assert.Equal(2, body.GetProperty("version").GetInt32());
        Assert.Equal(item2, body.GetProperty("parts").EnumerateArray().Single().GetProperty("itemId").GetGuid());

        // Version 1 is frozen in the database too, whoever writes.
        var frozen = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("DELETE FROM hephaestus.assessment_parts WHERE assessment_id = $1 AND version = 1", id));
        Assert.Equal("HE002", frozen.SqlState);

        // 2 of 3 points is 0.667: a pass under version 1's 0.5, a fail under version 2's 0.9.
        var result = await SubmitAsync(first, firstId, attempt, new Dictionary<Guid, object> { [version1] = new { optionId = "a" }, [version2] = new { optionId = "b" } });
        Assert.Equal(2m / 3m, result.GetProperty("score").GetDecimal(), 5);
        Assert.True(result.GetProperty("passed").GetBoolean());
        Assert.Equal(2, result.GetProperty("items").GetArrayLength());
        var read = await Json.ReadAsync(await first.GetAsync($"/api/v1/learners/{firstId}/attempts/{attempt.GetProperty("id").GetGuid()}"));
        Assert.Equal(1, read.GetProperty("assessmentVersion").GetInt32());

        var (_, second) = await LearnerAsync(w, "second");
        var later = await StartAsync(second, id);
        Assert.Equal(2, later.GetProperty("assessmentVersion").GetInt32());
        Assert.Equal(version2, later.GetProperty("items").EnumerateArray().Single().GetProperty("itemVersionId").GetGuid());

        // An edit that changes neither settings nor parts makes no version.
        var renamed = await w.Author.PatchAsync($"/api/v1/assessments/{id}", new { title = "Renamed" }, edited.Headers.ETag!.Tag);
        Assert.Equal(2, (await Json.ReadAsync(renamed)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_retired_assessment_starts_no_attempt_but_an_open_one_is_still_submitted()
    {
        var w = await WorldAsync();
        var (item, version) = await ItemAsync(w, "a", 1);
        var (id, _) = await AssessmentAsync(w, [item]);
        var (firstId, first) = await LearnerAsync(w, "first");
        var attempt = await StartAsync(first, id);

        await Json.ProblemAsync(await first.PostAsync($"/api/v1/assessments/{id}/retire", null), 403);
        await Json.ProblemAsync(await w.Author.PostAsync($"/api/v1/assessments/{Guid.NewGuid()}/retire", null), 404);
        var retired = await w.Author.PostAsync($"/api/v1/assessments/{id}/retire", null);
        Assert.Equal(HttpStatusCode.OK, retired.StatusCode);
        var body = await Json.ReadAsync(retired);
        Assert.Equal("retired", body.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("retiredAt").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await w.Author.PostAsync($"/api/v1/assessments/{id}/retire", null)).StatusCode);

        var (_, second) = await LearnerAsync(w, "second");
        await Json.ProblemAsync(await second.PostAsync($"/api/v1/assessments/{id}/attempts", null), 409);
        // The open attempt comes back, and is submitted and scored.
        Assert.Equal(attempt.GetProperty("id").GetGuid(), (await StartAsync(first, id)).GetProperty("id").GetGuid());
        var result = await SubmitAsync(first, firstId, attempt, new Dictionary<Guid, object> { [version] = new { optionId = "a" } });
        Assert.Equal(1.0, result.GetProperty("score").GetDouble());

        await Json.ProblemAsync(await w.Author.PatchAsync($"/api/v1/assessments/{id}", new { title = "X" }, retired.Headers.ETag!.Tag), 409);
        var staleRetire = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/assessments/{id}/retire");
        staleRetire.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await Json.ProblemAsync(await w.Author.SendAsync(staleRetire), 412);
    }

    [Fact]
    public async Task Starting_outside_the_window_is_a_409_naming_it_and_the_window_end_caps_the_deadline()
    {
        var w = await WorldAsync();
        var (item, _) = await ItemAsync(w, "a", 1);
        var (_, learner) = await LearnerAsync(w, "l");
        var from = DateTimeOffset.UtcNow.AddDays(1);
        var (notYet, _) = await AssessmentAsync(w, [item], schedule: new { availableFrom = from.ToString("O"), availableUntil = IsoNow(TimeSpan.FromDays(2)) });
        var problem = await Json.ProblemAsync(await learner.PostAsync($"/api/v1/assessments/{notYet}/attempts", null), 409);
        Assert.Equal(from, problem.GetProperty("availableFrom").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.Contains(from.ToString("yyyy-MM-dd"), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (over, _) = await AssessmentAsync(w, [item], schedule: new { availableFrom = IsoNow(TimeSpan.FromDays(-2)), availableUntil = IsoNow(TimeSpan.FromDays(-1)) });
        await Json.ProblemAsync(await learner.PostAsync($"/api/v1/assessments/{over}/attempts", null), 409);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempts WHERE assessment_id = ANY ($1)", new[] { notYet, over }));

        var until = DateTimeOffset.UtcNow.AddHours(1);
        var (open, _) = await AssessmentAsync(w, [item], schedule: new { availableUntil = until.ToString("O") });
        var attempt = await StartAsync(learner, open);
        Assert.Equal(until, attempt.GetProperty("deadlineAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        var invalid = await w.Author.PostAsJsonAsync("/api/v1/assessments", new
        {
            title = "Bad", parts = new[] { new { itemId = item } },
            schedule = new { availableFrom = IsoNow(TimeSpan.FromDays(2)), availableUntil = IsoNow(TimeSpan.FromDays(1)), dueAt = IsoNow(TimeSpan.FromDays(3)) },
        });
        var errors = (await Json.ProblemAsync(invalid, 400)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("/schedule/availableUntil", out _));
        Assert.True(errors.TryGetProperty("/schedule/dueAt", out _));
    }

    [Fact]
    public async Task A_submission_after_the_due_date_is_accepted_and_marked_late_and_evidence_carries_the_due_date()
    {
        var w = await WorldAsync();
        var (item, version) = await ItemAsync(w, "a", 1);
        var pastDue = DateTimeOffset.UtcNow.AddDays(-1);
        var (late, _) = await AssessmentAsync(w, [item], schedule: new { availableFrom = IsoNow(TimeSpan.FromDays(-2)), dueAt = pastDue.ToString("O") });
        var futureDue = DateTimeOffset.UtcNow.AddDays(1);
        var (onTime, _) = await AssessmentAsync(w, [item], schedule: new { dueAt = futureDue.ToString("O") });
        var (learnerId, learner) = await LearnerAsync(w, "l");
        var answer = new Dictionary<Guid, object> { [version] = new { optionId = "a" } };

        var lateAttempt = await StartAsync(learner, late);
        var lateResult = await SubmitAsync(learner, learnerId, lateAttempt, answer);
        Assert.True(lateResult.GetProperty("late").GetBoolean());
        Assert.Equal(pastDue, lateResult.GetProperty("dueAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        var read = await Json.ReadAsync(await learner.GetAsync($"/api/v1/learners/{learnerId}/attempts/{lateAttempt.GetProperty("id").GetGuid()}"));
        Assert.True(read.GetProperty("late").GetBoolean());

        var onTimeAttempt = await StartAsync(learner, onTime);
        Assert.False((await SubmitAsync(learner, learnerId, onTimeAttempt, answer)).GetProperty("late").GetBoolean());

        var dueDates = await db.ScalarAsync<DateTime[]>(
            "SELECT array_agg(due_at ORDER BY recorded_at, skill_seq) FROM hephaestus.evidence WHERE learner_id = $1 AND source = 'item_response'", learnerId);
        Assert.Equal(2, dueDates!.Length);
        Assert.Equal(pastDue.UtcDateTime, dueDates[0], TimeSpan.FromMilliseconds(1));
        Assert.Equal(futureDue.UtcDateTime, dueDates[1], TimeSpan.FromMilliseconds(1));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempts WHERE learner_id = $1 AND late", learnerId));
    }

    [Fact]
    public async Task Assessments_are_listed_by_text_skill_and_status_and_paging_returns_each_once()
    {
        var w = await WorldAsync();
        var (item, _) = await ItemAsync(w, "a", 1);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add((await AssessmentAsync(w, [item], title: $"Unit {i} {w.Tag}")).Id);
        var (pooled, _) = await AssessmentAsync(w, [], title: "Pool " + w.Tag, parts: [new { poolSkillId = w.Skill, poolCount = 1 }]);
        var other = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "fw2-" + w.Tag), "other");
        await w.Author.PostAsync($"/api/v1/assessments/{created[4]}/retire", null);
        var (_, learner) = await LearnerAsync(w, "l");

        var (items, _) = await Json.AllPagesAsync(learner, $"/api/v1/assessments?q=unit {w.Tag}&limit=2");
        var seen = items.Select(a => a.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(created, seen);

        async Task<List<Guid>> IdsAsync(string query) =>
            [.. (await Json.ReadAsync(await w.Author.GetAsync("/api/v1/assessments?" + query))).GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetGuid())];
        Assert.Equal([.. created, pooled], await IdsAsync($"skill={w.Skill}"));
        Assert.Empty(await IdsAsync($"skill={other}"));
        Assert.Equal([created[4]], await IdsAsync($"q={w.Tag}&status=retired"));
        Assert.Equal([.. created.Take(4), pooled], await IdsAsync($"q={w.Tag}&status=active"));
        Assert.True((await Json.ProblemAsync(await w.Author.GetAsync("/api/v1/assessments?status=gone"), 400)).GetProperty("errors").TryGetProperty("/status", out _));
    }
}

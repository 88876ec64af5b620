using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Hephaestus.Server.Tests.Enrollments;

/// <summary>Issue 9, item 8: a learner's own goals and pace, ranking by them, unlock and withdraw, a path's enrollments.</summary>
public partial class EnrollmentTests
{
    static async Task<JsonElement> NextAsync(HttpClient client, string enrollmentUrl)
    {
        var response = await client.GetAsync(enrollmentUrl + "/next");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    static string[] AvailableKeys(JsonElement next) => [.. next.GetProperty("available").EnumerateArray().Select(s => s.GetProperty("key").GetString()!)];

    static string[] ReasonsOf(JsonElement next, string key) =>
        [.. next.GetProperty("available").EnumerateArray().Single(s => s.GetProperty("key").GetString() == key).GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)];

    static async Task<JsonElement> OverrideAsync(HttpClient client, string enrollmentUrl, object body, int status = 200)
    {
        var response = await client.PostAsJsonAsync(enrollmentUrl + "/overrides", body);
        return status == 200 ? await Json.ReadAsync(EnsureOk(response, await response.Content.ReadAsStringAsync())) : await Json.ProblemAsync(response, status);
    }

    static HttpResponseMessage EnsureOk(HttpResponseMessage response, string body)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return response;
    }

    [Fact]
    public async Task A_learner_sets_their_own_goal_and_pace_under_If_Match_and_next_ranks_toward_them()
    {
        var w = await WorldAsync();
        // "hub" opens "after", so it ranks first without a goal; "side" is what the goal will ask for.
        var (pathId, _) = await PublishedPathAsync(w, Content("hub"), Content("side"), Content("after", "hub"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var url = $"/api/v1/learners/me/enrollments/{enrollment.GetProperty("id").GetGuid()}";
        Assert.Equal(["hub", "side"], AvailableKeys(await NextAsync(w.Learner, url)));

        var read = await w.Learner.GetAsync(url);
        var etag = read.Headers.ETag!.Tag;
        await Json.ProblemAsync(await w.Learner.PatchAsync(url, new { goal = "side" }, null), 428);
        var stale = await Json.ProblemAsync(await w.Learner.PatchAsync(url, new { goal = "side" }, "\"1\""), 412);
        Assert.Equal(etag, stale.GetProperty("currentETag").GetString());

        var patched = await w.Learner.PatchAsync(url, new { goal = "side", paceMinutesPerWeek = 120 }, etag);
        var body = await Json.ReadAsync(EnsureOk(patched, ""));
        Assert.Equal("side", body.GetProperty("goal").GetString());
        Assert.Equal(120, body.GetProperty("paceMinutesPerWeek").GetInt32());
        Assert.NotEqual(etag, patched.Headers.ETag!.Tag);
        // The old ETag no longer matches: a second writer from the same read is refused.
        await Json.ProblemAsync(await w.Learner.PatchAsync(url, new { goal = "hub" }, etag), 412);

        var next = await NextAsync(w.Learner, url);
        Assert.Equal(["side", "hub"], AvailableKeys(next));
        Assert.Contains("on the way to your goal 'side'", ReasonsOf(next, "side"));
        Assert.Contains("not needed for your goal 'side'", ReasonsOf(next, "hub"));
        Assert.Equal(["side"], next.GetProperty("basis").GetProperty("goalSteps").EnumerateArray().Select(s => s.GetString()).ToArray());
        Assert.False(next.GetProperty("basis").GetProperty("behindSchedule").GetBoolean());

        // Three steps of 30 minutes (no estimates) left, a week at 10 minutes: behind, and every step says so.
        etag = patched.Headers.ETag!.Tag;
        var target = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7);
        patched = await w.Learner.PatchAsync(url, new { paceMinutesPerWeek = 10, targetDate = target, clear = new[] { "goal" } }, etag);
        body = await Json.ReadAsync(EnsureOk(patched, ""));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("goal").ValueKind);
        next = await NextAsync(w.Learner, url);
        Assert.True(next.GetProperty("basis").GetProperty("behindSchedule").GetBoolean());
        Assert.Equal(90, next.GetProperty("basis").GetProperty("remainingMinutes").GetInt32());
        Assert.Equal(10, next.GetProperty("basis").GetProperty("availableMinutes").GetInt32());
        Assert.All(AvailableKeys(next), k => Assert.Contains(ReasonsOf(next, k), r => r.StartsWith("behind schedule", StringComparison.Ordinal)));

        // Bad fields are named by pointer.
        var invalid = await Json.ProblemAsync(await w.Learner.PatchAsync(url, new { paceMinutesPerWeek = 0, clear = new[] { "mood", "targetDate" }, targetDate = target },
            patched.Headers.ETag!.Tag), 400);
        var errors = invalid.GetProperty("errors");
        Assert.True(errors.TryGetProperty("/paceMinutesPerWeek", out _));
        Assert.True(errors.TryGetProperty("/clear/0", out _));
        Assert.True(errors.TryGetProperty("/clear/1", out _));
    }

    [Fact]
    public async Task Only_the_learner_patches_their_goals_another_learner_gets_404_and_their_educator_403()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("one"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var url = Url(w.LearnerId, enrollment);
        var etag = (await w.Learner.GetAsync(url)).Headers.ETag!.Tag;

        var (_, other) = await LearnerInCohortAsync(w, "peer");
        var problem = await Json.ProblemAsync(await other.PatchAsync(url, new { goal = "one" }, etag), 404);
        Assert.Contains("No enrollment", problem.GetProperty("detail").GetString());
        problem = await Json.ProblemAsync(await w.Educator.PatchAsync(url, new { goal = "one" }, etag), 403);
        Assert.Contains("override", problem.GetProperty("detail").GetString());
        Assert.Null(await db.ScalarAsync<string>("SELECT goal FROM hephaestus.enrollments WHERE id = $1", enrollment.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task An_educator_unlocks_a_locked_step_which_stays_open_and_a_learner_may_not()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("first"), Content("other"), Content("gated", "first"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var url = Url(w.LearnerId, enrollment);
        Assert.Equal("locked", Status(enrollment, "gated"));

        var refused = await OverrideAsync(w.Learner, url, new { kind = "unlock", stepKey = "gated", reason = "me" }, 403);
        Assert.Equal("This needs the role educator or admin.", refused.GetProperty("detail").GetString());
        await OverrideAsync(w.OtherEducator, url, new { kind = "unlock", stepKey = "gated", reason = "not mine" }, 404);
        var missing = await OverrideAsync(w.Educator, url, new { kind = "unlock", reason = "no step" }, 400);
        Assert.True(missing.GetProperty("errors").TryGetProperty("/stepKey", out _));

        var unlocked = await OverrideAsync(w.Educator, url, new { kind = "unlock", stepKey = "gated", reason = "ready for it" });
        Assert.Equal("available", Status(unlocked, "gated"));
        Assert.Equal("unlocked by an educator: ready for it", StepsOf(unlocked)["gated"].GetProperty("reason").GetString());
        var again = await OverrideAsync(w.Educator, url, new { kind = "unlock", stepKey = "gated", reason = "twice" }, 409);
        Assert.Equal("available", again.GetProperty("stepStatus").GetString());

        // A re-evaluation (completing another step) keeps it open although "first" is still not done.
        var completed = await w.Learner.PostAsync(url + "/steps/other/complete", null);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal("available", Status(await Json.ReadAsync(completed), "gated"));
        Assert.Contains("unlocked by an educator", ReasonsOf(await NextAsync(w.Learner, url), "gated"));
        var audit = await Json.ReadAsync(await w.Learner.GetAsync(url + "/overrides"));
        var entry = audit.EnumerateArray().Single(o => o.GetProperty("kind").GetString() == "unlock");
        Assert.Equal("gated", entry.GetProperty("stepKey").GetString());
        Assert.Equal("step first not completed", entry.GetProperty("payload").GetProperty("unmetConditions")[0].GetString());
    }

    [Fact]
    public async Task A_withdrawn_enrollment_refuses_step_changes_and_has_no_next_steps_and_only_educators_withdraw()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("one"), Content("two"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var url = Url(w.LearnerId, enrollment);

        var refused = await OverrideAsync(w.Learner, url, new { kind = "withdraw", reason = "done with it" }, 403);
        Assert.Equal("This needs the role educator or admin.", refused.GetProperty("detail").GetString());

        var withdrawn = await OverrideAsync(w.Educator, url, new { kind = "withdraw", reason = "left the course" });
        Assert.Equal("withdrawn", withdrawn.GetProperty("status").GetString());
        var next = await NextAsync(w.Learner, url);
        Assert.Equal("withdrawn", next.GetProperty("status").GetString());
        Assert.Empty(AvailableKeys(next));
        Assert.Equal(0, next.GetProperty("lockedTotal").GetInt32());

        var start = await Json.ProblemAsync(await w.Learner.PostAsync(url + "/steps/one/start", null), 409);
        Assert.Contains("withdrawn", start.GetProperty("detail").GetString());
        await Json.ProblemAsync(await w.Learner.PostAsync(url + "/steps/one/complete", null), 409);
        await OverrideAsync(w.Educator, url, new { kind = "skip", stepKey = "one", reason = "x" }, 409);
        await OverrideAsync(w.Educator, url, new { kind = "withdraw", reason = "again" }, 409);
        Assert.Equal("available", Status(await Json.ReadAsync(await w.Learner.GetAsync(url)), "one"));

        // The database refuses too, whatever path a write takes.
        var id = enrollment.GetProperty("id").GetGuid();
        var e = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("UPDATE hephaestus.enrollments SET step_status = '{3,3}' WHERE id = $1", id));
        Assert.Equal("ck_enrollments_withdrawn_frozen", e.ConstraintName);
        var audit = await Json.ReadAsync(await w.Educator.GetAsync(url + "/overrides"));
        Assert.Equal("left the course", audit.EnumerateArray().Single(o => o.GetProperty("kind").GetString() == "withdraw").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_paths_enrollments_are_paged_filtered_and_limited_to_an_educators_cohorts()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("one"));
        var inCohort = new List<Guid> { w.LearnerId };
        await EnrollAsync(w.Learner, w.LearnerId, pathId);
        for (var i = 0; i < 2; i++)
        {
            var (id, client) = await LearnerInCohortAsync(w, "roster" + i);
            await EnrollAsync(client, id, pathId);
            inCohort.Add(id);
        }

        var (outsider, outsiderClient) = await db.UserAsync($"out-{w.Tag}@enroll.test", "learner");
        var outsiderEnrollment = await EnrollAsync(outsiderClient, outsider, pathId);

        var url = $"/api/v1/paths/{pathId}/enrollments";
        var seen = new List<Guid>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await Json.ReadAsync(await w.Admin.GetAsync(url + "?limit=3" + (after is null ? "" : "&after=" + after)));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("learnerId").GetGuid()));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
        }
        while (after is not null);
        Assert.Equal(2, pages);
        Assert.Equal([.. inCohort, outsider], seen);

        var educator = await Json.ReadAsync(await w.Educator.GetAsync(url));
        Assert.Equal(inCohort, educator.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("learnerId").GetGuid()).ToList());
        var byCohort = await Json.ReadAsync(await w.Admin.GetAsync(url + "?cohort=" + w.Cohort));
        Assert.Equal(3, byCohort.GetProperty("items").GetArrayLength());

        await OverrideAsync(w.Admin, Url(outsider, outsiderEnrollment), new { kind = "withdraw", reason = "moved away" });
        var withdrawn = await Json.ReadAsync(await w.Admin.GetAsync(url + "?status=withdrawn"));
        var row = Assert.Single(withdrawn.GetProperty("items").EnumerateArray());
        Assert.Equal(outsider, row.GetProperty("learnerId").GetGuid());
        Assert.Equal(1, row.GetProperty("total").GetInt32());

        var refused = await Json.ProblemAsync(await w.Learner.GetAsync(url), 403);
        Assert.Equal("This needs the role educator or admin.", refused.GetProperty("detail").GetString());
        var bad = await Json.ProblemAsync(await w.Admin.GetAsync(url + "?limit=0&status=gone"), 400);
        Assert.True(bad.GetProperty("errors").TryGetProperty("/limit", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("/status", out _));
        await Json.ProblemAsync(await w.Admin.GetAsync($"/api/v1/paths/{Guid.NewGuid()}/enrollments"), 404);
    }

    [Fact]
    public async Task A_learners_enrollments_name_each_path_by_its_title_in_one_call()
    {
        var w = await WorldAsync();
        var titles = new[] { "Algebra first " + w.Tag, "Geometry next " + w.Tag };
        foreach (var title in titles)
        {
            var created = await Json.ReadAsync(await w.Author.PostAsJsonAsync("/api/v1/paths", new { code = "t-" + Guid.NewGuid().ToString("N")[..10], title }));
            var pathId = created.GetProperty("id").GetGuid();
            await PublishAsync(w, pathId, created.GetProperty("versions")[0].GetProperty("id").GetGuid(), [Content("read")]);
            await EnrollAsync(w.Learner, w.LearnerId, pathId);
        }

        var list = await Json.ReadAsync(await w.Learner.GetAsync($"/api/v1/learners/{w.LearnerId}/enrollments"));
        Assert.Equal(titles, list.EnumerateArray().Select(e => e.GetProperty("pathTitle").GetString()).ToArray());
        var one = list[0];
        Assert.Equal(titles[0], (await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, one)))).GetProperty("pathTitle").GetString());
    }
}

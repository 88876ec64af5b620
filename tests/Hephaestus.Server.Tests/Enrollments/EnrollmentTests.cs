using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Enrollments;

public partial class EnrollmentTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>An author, an admin, a learner in a cohort with an educator, an educator of another cohort, and a framework.</summary>
    sealed record World(string Tag, HttpClient Author, HttpClient Admin, Guid LearnerId, HttpClient Learner, Guid EducatorId, HttpClient Educator,
        HttpClient OtherEducator, Guid Cohort, Guid Framework);

    async Task<World> WorldAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, author) = await db.UserAsync($"a-{tag}@enroll.test", "author");
        var (_, admin) = await db.UserAsync($"ad-{tag}@enroll.test", "admin");
        var (learnerId, learner) = await db.UserAsync($"l-{tag}@enroll.test", "learner");
        var (educatorId, educator) = await db.UserAsync($"e-{tag}@enroll.test", "educator");
        var (_, other) = await db.UserAsync($"o-{tag}@enroll.test", "educator");
        var cohort = await db.CohortAsync(learnerId, educatorId);
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        return new World(tag, author, admin, learnerId, learner, educatorId, educator, other, cohort, framework);
    }

    async Task<(Guid Id, HttpClient Client)> LearnerInCohortAsync(World w, string name)
    {
        var (id, client) = await db.UserAsync($"{name}-{w.Tag}@enroll.test", "learner");
        await db.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", w.Cohort, id);
        return (id, client);
    }

    /// <summary>Creates a path, puts these steps on its draft and publishes it.</summary>
    static async Task<(Guid PathId, Guid VersionId)> PublishedPathAsync(World w, params object[] steps)
    {
        var created = await w.Author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + Guid.NewGuid().ToString("N")[..10], title = "Path" });
        var path = await Json.ReadAsync(created);
        var pathId = path.GetProperty("id").GetGuid();
        var draft = path.GetProperty("versions")[0].GetProperty("id").GetGuid();
        await PublishAsync(w, pathId, draft, steps);
        return (pathId, draft);
    }

    static async Task PublishAsync(World w, Guid pathId, Guid versionId, object[] steps)
    {
        var put = await w.Author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{versionId}/steps", etag: await w.Author.ETagAsync($"/api/v1/paths/{pathId}/versions/{versionId}"), body: new { steps });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var publish = await w.Author.PostAsync($"/api/v1/paths/{pathId}/versions/{versionId}/publish", null);
        Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
    }

    static object Content(string key, params string[] prerequisites) => new { key, kind = "content", refId = Catalog.Lesson, title = key, prerequisites };

    static object SkillStep(string key, Guid skill, params string[] prerequisites) => new { key, kind = "skill", refId = skill, title = key, prerequisites };

    static async Task<JsonElement> EnrollAsync(HttpClient client, Guid learnerId, Guid pathId, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId });
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    static Dictionary<string, JsonElement> StepsOf(JsonElement enrollment) =>
        enrollment.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("key").GetString()!);

    static string Status(JsonElement enrollment, string key) => StepsOf(enrollment)[key].GetProperty("status").GetString()!;

    async Task MasteryAsync(Guid learner, Guid skill, double value, bool mastered, short rank)
    {
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, mastered, evidence_count)
            VALUES ($1, $2, $3, $4, $5, 1)
            ON CONFLICT (learner_id, skill_id) DO UPDATE SET value = excluded.value, level_rank = excluded.level_rank, mastered = excluded.mastered
            """, learner, skill, (decimal)value, rank, mastered);
    }

    static string Url(Guid learner, JsonElement enrollment) => $"/api/v1/learners/{learner}/enrollments/{enrollment.GetProperty("id").GetGuid()}";

    [Fact]
    public async Task Enrolling_places_the_learner_past_mastered_skills_and_enrolling_again_changes_nothing()
    {
        var w = await WorldAsync();
        var a = await Catalog.SkillAsync(db, w.Framework, "alg.a");
        var b = await Catalog.SkillAsync(db, w.Framework, "alg.b");
        var c = await Catalog.SkillAsync(db, w.Framework, "alg.c");
        await MasteryAsync(w.LearnerId, a, 0.97, mastered: true, rank: 4);
        var (pathId, versionId) = await PublishedPathAsync(w,
            SkillStep("learn-a", a),
            SkillStep("learn-b", b, "learn-a"),
            Content("read", "learn-b"),
            new { key = "learn-c", kind = "skill", refId = c, title = "C", unlockRule = new { mastery = new { skill = b, atLeast = "proficient" } } });

        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        Assert.Equal(versionId, enrollment.GetProperty("pathVersionId").GetGuid());
        var steps = StepsOf(enrollment);
        Assert.Equal("skipped", steps["learn-a"].GetProperty("status").GetString());
        Assert.Contains("placement", steps["learn-a"].GetProperty("reason").GetString());
        Assert.Contains("alg.a", steps["learn-a"].GetProperty("reason").GetString());
        Assert.Equal("available", steps["learn-b"].GetProperty("status").GetString());
        Assert.Equal("locked", steps["read"].GetProperty("status").GetString());
        Assert.Equal("step learn-b not completed", steps["read"].GetProperty("reason").GetString());
        Assert.Equal("locked", steps["learn-c"].GetProperty("status").GetString());
        Assert.Contains("alg.b below proficient", steps["learn-c"].GetProperty("reason").GetString());
        Assert.Equal(1, enrollment.GetProperty("done").GetInt32());

        var again = await EnrollAsync(w.Learner, w.LearnerId, pathId, HttpStatusCode.OK);
        Assert.Equal(enrollment.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid());

        // Eight simultaneous first enrollments of another learner: one creates it, the others get that same one.
        var (other, otherClient) = await LearnerInCohortAsync(w, "twin");
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => otherClient.PostAsJsonAsync($"/api/v1/learners/{other}/enrollments", new { pathId })));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var ids = await Task.WhenAll(responses.Select(async r => (await Json.ReadAsync(r)).GetProperty("id").GetGuid()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollments WHERE learner_id = $1", other));
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollment_step_states WHERE learner_id = $1", other));
    }

    [Fact]
    public async Task Mastery_moves_progress_in_the_same_transaction_and_a_rollback_moves_nothing()
    {
        var w = await WorldAsync();
        await db.ExecuteAsync("UPDATE hephaestus.competency_frameworks SET mastery_method = 'latest' WHERE id = $1", w.Framework);
        var b = await Catalog.SkillAsync(db, w.Framework, "geo.b");
        var (pathId, _) = await PublishedPathAsync(w, SkillStep("learn-b", b), Content("read", "learn-b"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        Assert.Equal("locked", Status(enrollment, "read"));

        // Evidence recorded and then rolled back: the step it would have unlocked stays locked.
        var (rubric, criterion) = await Catalog.RubricAsync(db, b, 4, 4, 0);
        var assessmentId = Guid.CreateVersion7();
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.rubric_assessments (learner_id, id, rubric_id, assessor_id, ratings, points)
            VALUES ($1, $2, $3, $4, '[]', 4)
            """, w.LearnerId, assessmentId, rubric, w.EducatorId);
        var learnerActor = new Actor(w.LearnerId, ["learner"]);
        await using (var scope = await ActorScope.BeginAsync(db.App, learnerActor, TestContext.Current.CancellationToken))
        {
            var learning = new LearnerRecord(new PlanCache());
            var recorded = await learning.RecordEvidenceAsync(scope, w.LearnerId, [new NewEvidence(b, 1.0, 1, DateTimeOffset.UtcNow, null, "rubric", RubricAssessmentId: assessmentId)], TestContext.Current.CancellationToken);
            var moved = Assert.Single(recorded.Progress);
            Assert.Contains(moved.Steps, s => s.Key == "read" && s.To == Domain.Paths.StepStatus.Available);
            // No commit: disposing rolls back.
        }

        var unchanged = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)));
        Assert.Equal("available", Status(unchanged, "learn-b"));
        Assert.Equal("locked", Status(unchanged, "read"));

        // The same through the API, committed: mastered skill completes its step and opens the next.
        var scored = await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.LearnerId}/rubric-assessments",
            new { rubricId = rubric, ratings = new[] { new { criterionId = criterion, points = 4 } } });
        Assert.Equal(HttpStatusCode.Created, scored.StatusCode);
        var after = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)));
        Assert.Equal("completed", Status(after, "learn-b"));
        Assert.Contains("mastered geo.b", StepsOf(after)["learn-b"].GetProperty("reason").GetString());
        Assert.Equal("available", Status(after, "read"));
    }

    [Fact]
    public async Task Two_simultaneous_mastery_changes_for_one_learner_never_lose_an_unlock_that_needs_both()
    {
        var w = await WorldAsync();
        await db.ExecuteAsync("UPDATE hephaestus.competency_frameworks SET mastery_method = 'latest' WHERE id = $1", w.Framework);
        var a = await Catalog.SkillAsync(db, w.Framework, "both.a");
        var b = await Catalog.SkillAsync(db, w.Framework, "both.b");
        var rubrics = new Dictionary<Guid, (Guid Rubric, Guid Criterion)>();
        foreach (var skill in new[] { a, b })
        {
            rubrics[skill] = await Catalog.RubricAsync(db, skill, 4, 4, 0);
        }

        var (pathId, _) = await PublishedPathAsync(w, new
        {
            key = "capstone", kind = "content", refId = Catalog.Lesson, title = "Capstone",
            unlockRule = new { all = new object[] { new { mastery = new { skill = a, minProbability = 0.9 } }, new { mastery = new { skill = b, minProbability = 0.9 } } } },
        });

        // Each scoring commits one of the two conditions. Without the enrollment lock each would evaluate the rule
        // before the other committed, and the capstone would stay locked although both conditions hold.
        for (var round = 0; round < 10; round++)
        {
            var (learner, client) = await LearnerInCohortAsync(w, $"race{round}");
            var enrollment = await EnrollAsync(client, learner, pathId);
            var scorings = new[] { a, b }.Select(skill => w.Educator.PostAsJsonAsync($"/api/v1/learners/{learner}/rubric-assessments",
                new { rubricId = rubrics[skill].Rubric, ratings = new[] { new { criterionId = rubrics[skill].Criterion, points = 4 } } }));
            Assert.All(await Task.WhenAll(scorings), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            var after = await Json.ReadAsync(await client.GetAsync(Url(learner, enrollment)));
            Assert.Equal("available", Status(after, "capstone"));
        }
    }

    [Fact]
    public async Task Score_ranges_route_like_Canvas_mastery_paths_and_any_of_rules_open_either_way()
    {
        var w = await WorldAsync();
        var skill = await Catalog.SkillAsync(db, w.Framework, "frac");
        var item = await w.Author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new
            {
                type = "single_choice", prompt = "1/2 + 1/4 = ?", points = 1,
                options = new[] { new { id = "a", text = "2/6" }, new { id = "b", text = "3/4" } }, correctOptionId = "b",
            },
            skills = new[] { new { skillId = skill, weight = 1 } },
        });
        var itemBody = await Json.ReadAsync(item);
        var assessment = await Json.ReadAsync(await w.Author.PostAsJsonAsync("/api/v1/assessments",
            new { title = "Quiz", parts = new[] { new { itemId = itemBody.GetProperty("itemId").GetGuid() } } }));
        var assessmentId = assessment.GetProperty("id").GetGuid();

        var (pathId, _) = await PublishedPathAsync(w,
            new { key = "quiz", kind = "assessment", refId = assessmentId, title = "Quiz", targetSkillIds = new[] { skill } },
            new { key = "remedial", kind = "content", refId = Catalog.Lesson, title = "Review", unlockRule = new { score = new { step = "quiz", min = 0.0, max = 0.6 } } },
            new { key = "core", kind = "content", refId = Catalog.Lesson, title = "Core", unlockRule = new { score = new { step = "quiz", min = 0.6, max = 0.9 } } },
            new { key = "enrich", kind = "content", refId = Catalog.Lesson, title = "Enrich", unlockRule = new { score = new { step = "quiz", min = 0.9 } } },
            new
            {
                key = "final", kind = "content", refId = Catalog.Lesson, title = "Final",
                unlockRule = new { any = new object[] { new { completed = new { steps = new[] { "remedial" } } }, new { score = new { step = "quiz", min = 0.6 } } } },
            });
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        Assert.Equal("available", Status(enrollment, "quiz"));
        Assert.All(new[] { "remedial", "core", "enrich", "final" }, k => Assert.Equal("locked", Status(enrollment, k)));

        // A wrong answer: score 0 routes to the remedial step only.
        var attempt = await Json.ReadAsync(await w.Learner.PostAsync($"/api/v1/assessments/{assessmentId}/attempts", null));
        var attemptUrl = $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}";
        await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{itemBody.GetProperty("versionId").GetGuid()}", new { response = new { optionId = "a" } });
        Assert.Equal(HttpStatusCode.Created, (await w.Learner.PostAsync($"{attemptUrl}/submit", null)).StatusCode);

        var routed = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)));
        Assert.Equal("completed", Status(routed, "quiz"));
        Assert.Equal(0.0, StepsOf(routed)["quiz"].GetProperty("score").GetDouble());
        Assert.Equal("available", Status(routed, "remedial"));
        Assert.Equal("locked", Status(routed, "core"));
        Assert.Equal("score on step quiz is 0, needs 0.6 ≤ score < 0.9", StepsOf(routed)["core"].GetProperty("reason").GetString());
        Assert.Equal("locked", Status(routed, "enrich"));
        Assert.Equal("locked", Status(routed, "final"));

        var next = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment) + "/next"));
        Assert.Equal("remedial", next.GetProperty("available")[0].GetProperty("key").GetString());
        var lockedFinal = next.GetProperty("locked").EnumerateArray().Single(l => l.GetProperty("key").GetString() == "final");
        Assert.StartsWith("one of: step remedial not completed; or score on step quiz is 0", lockedFinal.GetProperty("conditions")[0].GetString());

        // Working through the remedial step opens the final step by the first branch of the any-of.
        var completed = await w.Learner.PostAsync(Url(w.LearnerId, enrollment) + "/steps/remedial/complete", null);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var done = await Json.ReadAsync(completed);
        Assert.Equal("available", Status(done, "final"));
        Assert.Equal("locked", Status(done, "core"));
    }

    [Fact]
    public async Task Educators_of_the_cohort_override_with_an_audit_and_no_one_else_may()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("intro"), Content("practice", "intro"), Content("wrap-up", "practice"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var url = Url(w.LearnerId, enrollment);

        await Json.ProblemAsync(await w.Learner.PostAsJsonAsync(url + "/overrides", new { kind = "skip", stepKey = "intro", reason = "I know it" }), 403);
        await Json.ProblemAsync(await w.OtherEducator.PostAsJsonAsync(url + "/overrides", new { kind = "skip", stepKey = "intro", reason = "not mine" }), 404);

        var bad = await Json.ProblemAsync(await w.Educator.PostAsJsonAsync(url + "/overrides", new { kind = "bogus", reason = "" }), 400);
        Assert.True(bad.GetProperty("errors").TryGetProperty("/kind", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("/reason", out _));
        var badInsert = await Json.ProblemAsync(await w.Educator.PostAsJsonAsync(url + "/overrides",
            new { kind = "insert", reason = "needs review", step = new { key = "review", kind = "content", refId = Catalog.Lesson, title = "Review", afterStep = "nope" } }), 400);
        Assert.True(badInsert.GetProperty("errors").TryGetProperty("/step/afterStep", out _));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollment_overrides WHERE learner_id = $1", w.LearnerId));

        var skipped = await Json.ReadAsync(await w.Educator.PostAsJsonAsync(url + "/overrides", new { kind = "skip", stepKey = "intro", reason = "Placed out in class" }));
        Assert.Equal("skipped", Status(skipped, "intro"));
        Assert.Equal("skipped by an educator: Placed out in class", StepsOf(skipped)["intro"].GetProperty("reason").GetString());
        Assert.Equal("available", Status(skipped, "practice"));

        var inserted = await Json.ReadAsync(await w.Educator.PostAsJsonAsync(url + "/overrides",
            new { kind = "insert", reason = "Struggled with fractions", step = new { key = "review", kind = "content", refId = Catalog.Lesson, title = "Review fractions", afterStep = "intro" } }));
        var review = StepsOf(inserted)["review"];
        Assert.True(review.GetProperty("insertedByEducator").GetBoolean());
        Assert.Equal("available", review.GetProperty("status").GetString());
        var next = await Json.ReadAsync(await w.Learner.GetAsync(url + "/next"));
        Assert.Equal("review", next.GetProperty("available")[0].GetProperty("key").GetString());
        Assert.Contains("inserted for you by an educator", next.GetProperty("available")[0].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

        var unskipped = await Json.ReadAsync(await w.Educator.PostAsJsonAsync(url + "/overrides", new { kind = "unskip", stepKey = "intro", reason = "Let them revise" }));
        Assert.Equal("available", Status(unskipped, "intro"));
        Assert.Equal("locked", Status(unskipped, "practice"));
        var goal = await Json.ReadAsync(await w.Educator.PostAsJsonAsync(url + "/overrides", new { kind = "goal", goal = "Pass the unit test", targetDate = "2027-01-31", reason = "Agreed" }));
        Assert.Equal("Pass the unit test", goal.GetProperty("goal").GetString());
        var pace = await Json.ReadAsync(await w.Educator.PostAsJsonAsync(url + "/overrides", new { kind = "pace", paceMinutesPerWeek = 90, reason = "Agreed" }));
        Assert.Equal(90, pace.GetProperty("paceMinutesPerWeek").GetInt32());

        var audit = await Json.ReadAsync(await w.Learner.GetAsync(url + "/overrides"));
        Assert.Equal(["skip", "insert", "unskip", "goal", "pace"], audit.EnumerateArray().Select(o => o.GetProperty("kind").GetString()).ToArray());
        Assert.All(audit.EnumerateArray(), o => Assert.Equal(w.EducatorId, o.GetProperty("actorId").GetGuid()));
        Assert.Equal("Struggled with fractions", audit[1].GetProperty("reason").GetString());

        // The learner's personal data export carries the enrollment, its steps and every override.
        var export = await Json.ReadAsync(await w.Learner.GetAsync($"/api/v1/users/{w.LearnerId}/export"));
        var exported = Assert.Single(export.GetProperty("sections").GetProperty("enrollments").EnumerateArray());
        // Stored order: the version's steps by position, then the educator's insert.
        Assert.Equal(["intro", "practice", "wrap-up", "review"], exported.GetProperty("steps").EnumerateArray().Select(x => x.GetProperty("key").GetString()).ToArray());
        Assert.Equal("review", Assert.Single(exported.GetProperty("insertedSteps").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal(5, exported.GetProperty("overrides").GetArrayLength());

        // The audit is append-only for the application's database role.
        Assert.Equal("42501", await db.AppRefusalAsync("DELETE FROM hephaestus.enrollment_overrides"));
    }

    [Fact]
    public async Task Next_ranks_weakest_skills_then_most_depended_on_steps_with_reasons_and_explains_what_is_locked()
    {
        var w = await WorldAsync();
        var weak = await Catalog.SkillAsync(db, w.Framework, "weak");
        var middling = await Catalog.SkillAsync(db, w.Framework, "middling");
        await MasteryAsync(w.LearnerId, weak, 0.3, mastered: false, rank: 1);
        await MasteryAsync(w.LearnerId, middling, 0.7, mastered: false, rank: 2);
        var (pathId, _) = await PublishedPathAsync(w,
            Content("lonely"),
            Content("hub"),
            SkillStep("practice-middling", middling),
            SkillStep("practice-weak", weak),
            Content("after-1", "hub"), Content("after-2", "after-1"), Content("after-3", "hub"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);

        var next = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment) + "/next"));
        var order = next.GetProperty("available").EnumerateArray().Select(s => s.GetProperty("key").GetString()).ToArray();
        Assert.Equal(["practice-weak", "practice-middling", "hub", "lonely"], order);
        var reasons = next.GetProperty("available").EnumerateArray().ToDictionary(s => s.GetProperty("key").GetString()!,
            s => s.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.Contains("works on weak, not yet mastered (0.30, attempted)", reasons["practice-weak"]);
        Assert.Contains("3 later steps wait on it", reasons["hub"]);
        Assert.Contains("next in path order", reasons["lonely"]);
        Assert.Equal(3, next.GetProperty("lockedTotal").GetInt32());
        var locked = next.GetProperty("locked").EnumerateArray().ToDictionary(s => s.GetProperty("key").GetString()!, s => s.GetProperty("conditions")[0].GetString());
        Assert.Equal("step after-1 not completed", locked["after-2"]);

        await Json.ProblemAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment) + "/next?limit=0"), 400);
        await Json.ProblemAsync(await w.Learner.PostAsync(Url(w.LearnerId, enrollment) + "/steps/after-2/start", null), 409);
        await Json.ProblemAsync(await w.Learner.PostAsync(Url(w.LearnerId, enrollment) + "/steps/practice-weak/complete", null), 409);
        var started = await Json.ReadAsync(await w.Learner.PostAsync(Url(w.LearnerId, enrollment) + "/steps/hub/start", null));
        Assert.Equal("in_progress", Status(started, "hub"));
    }

    [Fact]
    public async Task Learners_see_only_their_own_enrollments_and_educators_only_their_cohorts()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("intro"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var (_, stranger) = await db.UserAsync($"s-{w.Tag}@enroll.test", "learner");

        await Json.ProblemAsync(await stranger.GetAsync(Url(w.LearnerId, enrollment)), 404);
        await Json.ProblemAsync(await stranger.GetAsync(Url(w.LearnerId, enrollment) + "/next"), 404);
        await Json.ProblemAsync(await stranger.PostAsync(Url(w.LearnerId, enrollment) + "/steps/intro/complete", null), 404);
        await Json.ProblemAsync(await stranger.PostAsJsonAsync($"/api/v1/learners/{w.LearnerId}/enrollments", new { pathId }), 404);
        await Json.ProblemAsync(await w.OtherEducator.GetAsync(Url(w.LearnerId, enrollment)), 404);
        Assert.Equal(HttpStatusCode.OK, (await w.Educator.GetAsync(Url(w.LearnerId, enrollment))).StatusCode);
        var list = await Json.ReadAsync(await w.Educator.GetAsync($"/api/v1/learners/{w.LearnerId}/enrollments"));
        Assert.Equal(1, list.GetArrayLength());

        // Bad input: an unknown path, a path with nothing published.
        var unknown = await Json.ProblemAsync(await w.Learner.PostAsJsonAsync($"/api/v1/learners/{w.LearnerId}/enrollments", new { pathId = Guid.NewGuid() }), 422);
        Assert.Equal("/pathId", unknown.GetProperty("field").GetString());
        var draftOnly = await Json.ReadAsync(await w.Author.PostAsJsonAsync("/api/v1/paths", new { code = "d-" + w.Tag, title = "Draft only" }));
        await Json.ProblemAsync(await w.Learner.PostAsJsonAsync($"/api/v1/learners/{w.LearnerId}/enrollments", new { pathId = draftOnly.GetProperty("id").GetGuid() }), 409);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollments WHERE learner_id = $1", w.LearnerId));

        // Retiring the only published version stops new enrollments; the enrolled learner keeps theirs.
        var versionId = (await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)))).GetProperty("pathVersionId").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await w.Author.PostAsync($"/api/v1/paths/{pathId}/versions/{versionId}/retire", null)).StatusCode);
        var (late, lateClient) = await LearnerInCohortAsync(w, "late");
        await Json.ProblemAsync(await lateClient.PostAsJsonAsync($"/api/v1/learners/{late}/enrollments", new { pathId }), 409);
        Assert.Equal(HttpStatusCode.OK, (await w.Learner.GetAsync(Url(w.LearnerId, enrollment) + "/next")).StatusCode);
    }

    [Fact]
    public async Task Moving_learners_to_a_new_version_keeps_their_progress_reports_the_changes_and_resumes()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("a"), Content("b", "a"), Content("c", "b"));
        var (second, secondClient) = await LearnerInCohortAsync(w, "second");
        var first = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var other = await EnrollAsync(secondClient, second, pathId);
        await w.Learner.PostAsync(Url(w.LearnerId, first) + "/steps/a/complete", null);
        await secondClient.PostAsync(Url(second, other) + "/steps/a/complete", null);
        await secondClient.PostAsync(Url(second, other) + "/steps/b/complete", null);

        var draft = await Json.ReadAsync(await w.Author.PostAsync($"/api/v1/paths/{pathId}/versions", null));
        var v2 = draft.GetProperty("id").GetGuid();
        await Json.ProblemAsync(await w.Admin.PostAsJsonAsync($"/api/v1/paths/{pathId}/versions/{v2}/migrate-enrollments", new { limit = 10 }), 409);
        await PublishAsync(w, pathId, v2, [Content("a"), Content("b", "a"), Content("d", "b"), Content("e", "d")]);
        await Json.ProblemAsync(await w.Author.PostAsJsonAsync($"/api/v1/paths/{pathId}/versions/{v2}/migrate-enrollments", new { limit = 10 }), 403);

        var firstRun = await Json.ReadAsync(await w.Admin.PostAsJsonAsync($"/api/v1/paths/{pathId}/versions/{v2}/migrate-enrollments", new { limit = 1 }));
        Assert.Single(firstRun.GetProperty("migrated").EnumerateArray());
        Assert.Equal(1, firstRun.GetProperty("remaining").GetInt32());
        var secondRun = await Json.ReadAsync(await w.Admin.PostAsJsonAsync($"/api/v1/paths/{pathId}/versions/{v2}/migrate-enrollments", new { limit = 10 }));
        Assert.Single(secondRun.GetProperty("migrated").EnumerateArray());
        Assert.Equal(0, secondRun.GetProperty("remaining").GetInt32());
        var nothingLeft = await Json.ReadAsync(await w.Admin.PostAsJsonAsync($"/api/v1/paths/{pathId}/versions/{v2}/migrate-enrollments", new { limit = 10 }));
        Assert.Empty(nothingLeft.GetProperty("migrated").EnumerateArray());

        var report = firstRun.GetProperty("migrated").EnumerateArray().Concat(secondRun.GetProperty("migrated").EnumerateArray())
            .Single(m => m.GetProperty("learnerId").GetGuid() == second);
        Assert.Equal(["a", "b"], report.GetProperty("kept").EnumerateArray().Select(k => k.GetString()).ToArray());
        Assert.Equal(["d", "e"], report.GetProperty("added").EnumerateArray().Select(k => k.GetString()).ToArray());
        Assert.Equal(["c"], report.GetProperty("removed").EnumerateArray().Select(k => k.GetString()).ToArray());

        var moved = await Json.ReadAsync(await secondClient.GetAsync(Url(second, other)));
        Assert.Equal(v2, moved.GetProperty("pathVersionId").GetGuid());
        Assert.Equal(2, moved.GetProperty("version").GetInt32());
        Assert.Equal("completed", Status(moved, "a"));
        Assert.Equal("completed", Status(moved, "b"));
        Assert.Equal("available", Status(moved, "d"));
        Assert.Equal("locked", Status(moved, "e"));
        Assert.DoesNotContain("c", StepsOf(moved).Keys);
        var movedFirst = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, first)));
        Assert.Equal("completed", Status(movedFirst, "a"));
        Assert.Equal("available", Status(movedFirst, "b"));

        var audit = await Json.ReadAsync(await secondClient.GetAsync(Url(second, other) + "/overrides"));
        Assert.Equal("migrate", Assert.Single(audit.EnumerateArray()).GetProperty("kind").GetString());

        // The cohort's educator sees where everyone stands, least advanced first; nobody else does.
        var progress = await Json.ReadAsync(await w.Educator.GetAsync($"/api/v1/cohorts/{w.Cohort}/paths/{pathId}/progress"));
        Assert.Equal(2, progress.GetProperty("enrolled").GetInt32());
        var rows = progress.GetProperty("learnerProgress").EnumerateArray().ToList();
        Assert.Equal([w.LearnerId, second], rows.Select(r => r.GetProperty("learnerId").GetGuid()).ToArray());
        Assert.Equal([1, 2], rows.Select(r => r.GetProperty("done").GetInt32()).ToArray());
        Assert.All(rows, r => Assert.Equal(4, r.GetProperty("total").GetInt32()));
        var stepA = progress.GetProperty("steps").EnumerateArray().First();
        Assert.Equal("a", stepA.GetProperty("key").GetString());
        Assert.Equal(2, stepA.GetProperty("completed").GetInt32());
        await Json.ProblemAsync(await w.OtherEducator.GetAsync($"/api/v1/cohorts/{w.Cohort}/paths/{pathId}/progress"), 404);
        await Json.ProblemAsync(await w.Learner.GetAsync($"/api/v1/cohorts/{w.Cohort}/paths/{pathId}/progress"), 403);
    }

    // Issue 9, item 3: a pass, then a blank retake. Under "highest" (the default) the retake changes nothing on the path;
    // under "latest" the quiz stays completed with its new score and why, the step the pass opened locks again and the
    // remediation opens, each change noted with its reason.
    [Theory]
    [InlineData(null)]
    [InlineData("latest")]
    public async Task Bug_9_a_blank_retake_moves_the_path_only_as_the_assessments_attempt_policy_says(string? policy)
    {
        var w = await WorldAsync();
        var skill = await Catalog.SkillAsync(db, w.Framework, "retake");
        var item = await Json.ReadAsync(await w.Author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new
            {
                type = "single_choice", prompt = "2 + 2 = ?", points = 1,
                options = new[] { new { id = "a", text = "4" }, new { id = "b", text = "5" } }, correctOptionId = "a",
            },
            skills = new[] { new { skillId = skill, weight = 1 } },
        }));
        var created = await w.Author.PostAsJsonAsync("/api/v1/assessments", policy is null
            ? new { title = "Quiz", parts = new[] { new { itemId = item.GetProperty("itemId").GetGuid() } } }
            : (object)new { title = "Quiz", parts = new[] { new { itemId = item.GetProperty("itemId").GetGuid() } }, attemptPolicy = policy });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var assessmentId = (await Json.ReadAsync(created)).GetProperty("id").GetGuid();
        var read = await Json.ReadAsync(await w.Author.GetAsync($"/api/v1/assessments/{assessmentId}"));
        Assert.Equal(policy ?? "highest", read.GetProperty("attemptPolicy").GetString());

        var (pathId, _) = await PublishedPathAsync(w,
            new { key = "quiz", kind = "assessment", refId = assessmentId, title = "Quiz", targetSkillIds = new[] { skill } },
            new { key = "remedial", kind = "content", refId = Catalog.Lesson, title = "Review", unlockRule = new { score = new { step = "quiz", min = 0.0, max = 0.6 } } },
            new { key = "core", kind = "content", refId = Catalog.Lesson, title = "Core", unlockRule = new { score = new { step = "quiz", min = 0.6 } } });
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);

        async Task TakeAsync(string? answer)
        {
            var attempt = await Json.ReadAsync(await w.Learner.PostAsync($"/api/v1/assessments/{assessmentId}/attempts", null));
            var attemptUrl = $"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}";
            if (answer is not null)
            {
                await w.Learner.PutAsJsonAsync($"{attemptUrl}/responses/{item.GetProperty("versionId").GetGuid()}", new { response = new { optionId = answer } });
            }

            Assert.Equal(HttpStatusCode.Created, (await w.Learner.PostAsync($"{attemptUrl}/submit", null)).StatusCode);
        }

        await TakeAsync("a");
        var passed = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)));
        Assert.Equal("completed", Status(passed, "quiz"));
        Assert.Equal("available", Status(passed, "core"));
        Assert.Equal("locked", Status(passed, "remedial"));

        await TakeAsync(null);
        var after = await Json.ReadAsync(await w.Learner.GetAsync(Url(w.LearnerId, enrollment)));
        var notes = JsonDocument.Parse((await db.ScalarAsync<string>("SELECT step_notes::text FROM hephaestus.enrollments WHERE learner_id = $1", w.LearnerId))!).RootElement;
        Assert.Equal("completed", Status(after, "quiz"));
        if (policy is null)
        {
            Assert.Equal(1.0, StepsOf(after)["quiz"].GetProperty("score").GetDouble());
            Assert.Equal("available", Status(after, "core"));
            Assert.Equal("locked", Status(after, "remedial"));
            Assert.Equal("assessment submitted", StepsOf(after)["quiz"].GetProperty("reason").GetString());
            return;
        }

        Assert.Equal(0.0, StepsOf(after)["quiz"].GetProperty("score").GetDouble());
        Assert.Equal("score on step quiz is 0 (latest of 2 attempts)", StepsOf(after)["quiz"].GetProperty("reason").GetString());
        Assert.Equal("locked", Status(after, "core"));
        Assert.Equal("score on step quiz is 0, needs score ≥ 0.6", notes.GetProperty("core").GetProperty("reason").GetString());
        Assert.Equal("available", Status(after, "remedial"));
        Assert.Equal("score on step quiz is 0 (latest of 2 attempts)", notes.GetProperty("remedial").GetProperty("reason").GetString());
        Assert.Equal("score on step quiz is 0 (latest of 2 attempts)", StepsOf(after)["remedial"].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task An_unknown_attempt_policy_is_refused()
    {
        var w = await WorldAsync();
        var response = await w.Author.PostAsJsonAsync("/api/v1/assessments", new { title = "Quiz", parts = Array.Empty<object>(), attemptPolicy = "best_of_three" });
        await Json.ProblemAsync(response, 400);
    }
}

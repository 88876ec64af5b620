using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>
/// A small world whose figures are worked out by hand below (minimum group size 3, set for this service).
/// Framework "perf": module M with children M1 and M2, and X. Path P1 v1: s0 skill M1, s1 content (the lesson, aligned
/// to M2), s2 assessment A (ten one-point items). Path P2 v1: s0 skill X.
/// Cohort C = L0..L3 (educator E), cohort D = L4..L6 (educator G), cohort S = L0, L1 (educator E); L7 in no cohort.
///
/// P1 v1 step status (0 locked, 1 available, 2 in progress, 3 completed, 4 skipped):
///   L0 [3,3,3] completed · L1 [3,3,2] · L2 [3,1,0] · L3 [4,1,0] withdrawn · L4 [3,3,3] completed · L5 [1,0,0] · L6 [3,1,0]
/// P2 v1: L4 [1], L6 [3].
/// Mastery (M1 | M2 | X): L0 mastered .97 (2026-11-10) | mastered .95 (2026-11-25) · L1 mastered .96 (2026-11-02) | proficient .85 ·
///   L2 familiar .6 | familiar .55 · L3 attempted .2 · L4 mastered .99 | mastered .98 | familiar .55 · L5 familiar .5 | attempted .3 ·
///   L6 — | mastered .96 | mastered .97.
/// Scores on A (right of 10): L0 8, L1 6, L2 4, L3 10, L4 9, L5 5, L6 8.
/// Events (duration ms, 2026-11-20 unless said): L0 skill M1 60000, content_version of the lesson 120000, assessment A 300000,
///   page 1000 on 2026-11-21 · L1 skill M1 30000, assessment A 200000 · L2 skill M1 20000, content (the lesson) 90000, an
///   activity aligned to M2 40000 · L3 page 10000 and one without a duration · L4 skill M1 50000 · L5 page 30000 · L6 page 70000.
/// </summary>
public sealed class PerformanceWorld : ApiDatabase
{
    public ApiFactory Service { get; private set; } = null!;
    public Guid Framework { get; private set; }
    public Guid M { get; private set; }
    public Guid M1 { get; private set; }
    public Guid M2 { get; private set; }
    public Guid X { get; private set; }
    public Guid P1 { get; } = Guid.CreateVersion7();
    public Guid P1V1 { get; } = Guid.CreateVersion7();
    public Guid P2 { get; } = Guid.CreateVersion7();
    public Guid P2V1 { get; } = Guid.CreateVersion7();
    public Guid Quiz { get; private set; }
    public Guid CohortC { get; private set; }
    public Guid CohortD { get; private set; }
    public Guid CohortS { get; private set; }
    public List<Guid> Learners { get; } = [];
    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Service = new ApiFactory(this, new Dictionary<string, string?> { ["Analytics:MinimumGroupSize"] = "3" });
        async Task<Guid> User(string name, string role)
        {
            var id = await CreateUserAsync($"{name}@perf.test", role);
            Clients[name] = Service.ClientFor($"test|{name}@perf.test");
            return id;
        }

        for (var i = 0; i < 8; i++) Learners.Add(await User($"L{i}", "learner"));
        var (e, g) = (await User("E", "educator"), await User("G", "educator"));
        await User("H", "educator");
        await User("analyst", "analyst");
        await User("admin", "admin");
        await User("author", "author");

        CohortC = await CohortOfAsync(e, Learners[..4]);
        CohortD = await CohortOfAsync(g, Learners[4..7]);
        CohortS = await CohortOfAsync(e, Learners[..2]);

        Framework = await Catalog.FrameworkAsync(this, "perf");
        M = await Catalog.SkillAsync(this, Framework, "M");
        M1 = await Catalog.SkillAsync(this, Framework, "M1", M);
        M2 = await Catalog.SkillAsync(this, Framework, "M2", M);
        X = await Catalog.SkillAsync(this, Framework, "X");

        // Scores first, through the API (the submission writes the counted contributions), on a skill of another framework.
        var quizSkill = await Catalog.SkillAsync(this, await Catalog.FrameworkAsync(this, "perf-quiz"), "quiz");
        var items = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var item = await Clients["author"].PostAsJsonAsync("/api/v1/items", new
            {
                definition = new { type = "single_choice", prompt = $"Q{i}", points = 1, correctOptionId = "b", options = new[] { new { id = "a", text = "A" }, new { id = "b", text = "B" } } },
                skills = new[] { new { skillId = quizSkill, weight = 1 } },
            });
            Assert.True(item.StatusCode == HttpStatusCode.Created, await item.Content.ReadAsStringAsync());
            items.Add((await Json.ReadAsync(item)).GetProperty("itemId").GetGuid());
        }

        var quiz = await Clients["author"].PostAsJsonAsync("/api/v1/assessments", new { title = "Quiz A", parts = items.Select(itemId => new { itemId }).ToArray() });
        Assert.True(quiz.StatusCode == HttpStatusCode.Created, await quiz.Content.ReadAsStringAsync());
        Quiz = (await Json.ReadAsync(quiz)).GetProperty("id").GetGuid();
        int[] right = [8, 6, 4, 10, 9, 5, 8];
        for (var i = 0; i < right.Length; i++) await SubmitAsync(i, right[i]);

        await PathAsync(P1, P1V1, "p1", ("s0", "skill", M1, M1), ("s1", "content", Catalog.Lesson, M2), ("s2", "assessment", Quiz, M2));
        await PathAsync(P2, P2V1, "p2", ("s0", "skill", X, X));
        string Note(string day) => $"{{\"reason\": \"test\", \"updatedAt\": \"{day}T09:00:00Z\"}}";
        await EnrollAsync(0, P1, P1V1, [3, 3, 3], "completed", $"{{\"s0\": {Note("2026-11-10")}, \"s1\": {Note("2026-11-17")}, \"s2\": {Note("2026-11-24")}}}");
        await EnrollAsync(1, P1, P1V1, [3, 3, 2], "active", $"{{\"s0\": {Note("2026-11-11")}, \"s1\": {{\"updatedAt\": \"2026-11-29T23:00:00Z\"}}}}");
        await EnrollAsync(2, P1, P1V1, [3, 1, 0], "active", $"{{\"s0\": {Note("2026-11-01")}}}");
        await EnrollAsync(3, P1, P1V1, [4, 1, 0], "withdrawn", "{}");
        await EnrollAsync(4, P1, P1V1, [3, 3, 3], "completed", "{}");
        await EnrollAsync(5, P1, P1V1, [1, 0, 0], "active", "{}");
        await EnrollAsync(6, P1, P1V1, [3, 1, 0], "active", "{}");
        await EnrollAsync(4, P2, P2V1, [1], "active", "{}");
        await EnrollAsync(6, P2, P2V1, [3], "completed", "{}");

        await MasteryAsync(0, M1, "mastered", 0.97, "2026-11-10T12:00:00Z");
        await MasteryAsync(0, M2, "mastered", 0.95, "2026-11-25T12:00:00Z");
        await MasteryAsync(1, M1, "mastered", 0.96, "2026-11-02T12:00:00Z");
        await MasteryAsync(1, M2, "proficient", 0.85);
        await MasteryAsync(2, M1, "familiar", 0.6);
        await MasteryAsync(2, M2, "familiar", 0.55);
        await MasteryAsync(3, M1, "attempted", 0.2);
        await MasteryAsync(4, M1, "mastered", 0.99, "2026-10-01T12:00:00Z");
        await MasteryAsync(4, M2, "mastered", 0.98, "2026-10-01T12:00:00Z");
        await MasteryAsync(4, X, "familiar", 0.55);
        await MasteryAsync(5, M1, "familiar", 0.5);
        await MasteryAsync(5, M2, "attempted", 0.3);
        await MasteryAsync(6, M2, "mastered", 0.96, "2026-10-01T12:00:00Z");
        await MasteryAsync(6, X, "mastered", 0.97, "2026-10-01T12:00:00Z");

        var contentVersion = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.content_bodies (sha256, size_bytes) VALUES (repeat('a', 64), 1)");
        await ExecuteAsync("""
            INSERT INTO hephaestus.content_versions (id, content_item_id, version, body_sha256, media_type, origin)
            VALUES ($1, $2, 1, repeat('a', 64), 'text/markdown', 'human')
            """, contentVersion, Catalog.Lesson);
        await ExecuteAsync("INSERT INTO hephaestus.content_item_skills (content_item_id, skill_id) VALUES ($1, $2)", Catalog.Lesson, M2);
        await ExecuteAsync("INSERT INTO hephaestus.event_activity_alignments (id, activity_id, skill_id) VALUES ($1, 'https://example.test/sim/1', $2)",
            Guid.CreateVersion7(), M2);
        await ExecuteAsync("SELECT hephaestus.create_event_partition('2026-11-20'), hephaestus.create_event_partition('2026-11-21')");
        await EventAsync(0, "skill", M1.ToString(), 60000);
        await EventAsync(0, "content_version", contentVersion.ToString(), 120000);
        await EventAsync(0, "assessment", Quiz.ToString(), 300000);
        await EventAsync(0, "page", "z", 1000, "2026-11-21T10:00:00Z");
        await EventAsync(1, "skill", M1.ToString(), 30000);
        await EventAsync(1, "assessment", Quiz.ToString(), 200000);
        await EventAsync(2, "skill", M1.ToString(), 20000);
        await EventAsync(2, "content", Catalog.Lesson.ToString(), 90000);
        await EventAsync(2, "simulation", "https://example.test/sim/1", 40000);
        await EventAsync(3, "page", "x", 10000);
        await EventAsync(3, "page", "y", null);
        await EventAsync(4, "skill", M1.ToString(), 50000);
        await EventAsync(5, "page", "x", 30000);
        await EventAsync(6, "page", "x", 70000);
    }

    public override async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await base.DisposeAsync();
    }

    async Task<Guid> CohortOfAsync(Guid educator, List<Guid> learners)
    {
        var cohort = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'Cohort')", cohort);
        await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'educator')", cohort, educator);
        foreach (var learner in learners)
        {
            await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", cohort, learner);
        }

        return cohort;
    }

    /// <summary>Answers the first <paramref name="right"/> of the ten items right (b) and the rest wrong (a).</summary>
    async Task SubmitAsync(int learner, int right)
    {
        var client = Clients[$"L{learner}"];
        var started = await client.PostAsync($"/api/v1/assessments/{Quiz}/attempts", null);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        var attempt = await Json.ReadAsync(started);
        var responses = attempt.GetProperty("items").EnumerateArray().Select((item, i) => (item.GetProperty("itemVersionId").GetGuid(), i))
            .ToDictionary(x => x.Item1, x => (object)new { optionId = x.i < right ? "b" : "a" });
        var submitted = await client.PostAsJsonAsync($"/api/v1/learners/{Learners[learner]}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", new { responses });
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
    }

    async Task PathAsync(Guid path, Guid version, string code, params (string Key, string Kind, Guid Ref, Guid Skill)[] steps)
    {
        await ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, $2)", path, code);
        await ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)", version, path);
        for (var i = 0; i < steps.Length; i++)
        {
            await ExecuteAsync("""
                INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position, target_skill_ids)
                VALUES ($1, $2, $3, $4, $5, $3, $6, ARRAY[$7::uuid])
                """, Guid.CreateVersion7(), version, steps[i].Key, steps[i].Kind, steps[i].Ref, i, steps[i].Skill);
        }

        await ExecuteAsync("UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = $1", version);
    }

    Task EnrollAsync(int learner, Guid path, Guid version, short[] status, string state, string notes) => ExecuteAsync("""
        INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, step_notes, completed_at)
        VALUES ($1, $2, $3, $4, $5, $6, array_fill(NULL::real, ARRAY[cardinality($6)]), $7::jsonb, CASE WHEN $5 = 'completed' THEN now() END)
        """, Learners[learner], Guid.CreateVersion7(), path, version, state, status, notes);

    Task MasteryAsync(int learner, Guid skill, string level, double value, string? masteredAt = null)
    {
        var rank = Array.IndexOf(["not_started", "attempted", "familiar", "proficient", "mastered"], level);
        return ExecuteAsync("""
            INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count, last_evidence_at, mastered_at)
            VALUES ($1, $2, $3::numeric, $4::smallint, $5, $4 = 4, 2, '2026-11-28T00:00:00Z', $6::timestamptz)
            """, Learners[learner], skill, value, rank, level, (object?)masteredAt ?? DBNull.Value);
    }

    Task EventAsync(int learner, string type, string objectId, long? durationMs, string at = "2026-11-20T10:00:00Z") => ExecuteAsync("""
        INSERT INTO hephaestus.learning_events (learner_id, occurred_at, id, source, verb, object_type, object_id, duration_ms)
        VALUES ($1, $2::timestamptz, $3, 'native', 'experienced', $4, $5, $6::bigint)
        """, Learners[learner], at, Guid.CreateVersion7(), type, objectId, (object?)durationMs ?? DBNull.Value);
}

public class PerformanceTests(PerformanceWorld world) : IClassFixture<PerformanceWorld>
{
    const double Tolerance = 1e-9;

    async Task<JsonElement> DataAsync(string actor, string url)
    {
        var response = await world.Clients[actor].GetAsync("/api/v1/analytics/performance/" + url);
        var body = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body.GetProperty("data");
    }

    static JsonElement Row(JsonElement rows, string property, string value) =>
        rows.EnumerateArray().Single(r => r.GetProperty(property).GetString() == value);

    static void Near(double expected, JsonElement actual) => Assert.Equal(expected, actual.GetDouble(), Tolerance);

    static void Hidden(JsonElement row, params string[] figures)
    {
        Assert.Contains("fewer than the minimum group size of 3", row.GetProperty("suppressed").GetString());
        foreach (var figure in figures) Assert.Equal(JsonValueKind.Null, row.GetProperty(figure).ValueKind);
    }

    [Fact]
    public async Task Mastery_of_a_cohort_over_a_path_version_per_skill_and_per_module()
    {
        var data = await DataAsync("E", $"mastery?cohortId={world.CohortC}&pathVersionId={world.P1V1}");
        Assert.Equal(4, data.GetProperty("learners").GetInt64());
        var skills = data.GetProperty("skills");
        Assert.Equal(["M1", "M2"], skills.EnumerateArray().Select(s => s.GetProperty("skillCode").GetString()));
        // M1 over C: .97 .96 mastered, .6 familiar, .2 attempted.
        var m1 = Row(skills, "skillCode", "M1");
        Assert.Equal(4, m1.GetProperty("learners").GetInt64());
        Assert.Equal(2, m1.GetProperty("mastered").GetInt64());
        Near(0.5, m1.GetProperty("masteredShare"));
        Near((0.97 + 0.96 + 0.6 + 0.2) / 4, m1.GetProperty("meanValue"));
        Assert.Equal(new Dictionary<string, long> { ["attempted"] = 1, ["familiar"] = 1, ["mastered"] = 2 },
            m1.GetProperty("levels").EnumerateArray().ToDictionary(l => l.GetProperty("level").GetString()!, l => l.GetProperty("learners").GetInt64()));
        // M2 over C: L0 .95 mastered, L1 .85, L2 .55 (L3 has no row).
        var m2 = Row(skills, "skillCode", "M2");
        Assert.Equal(3, m2.GetProperty("learners").GetInt64());
        Near(1.0 / 3, m2.GetProperty("masteredShare"));
        Near((0.95 + 0.85 + 0.55) / 3, m2.GetProperty("meanValue"));

        // Module M over the path's skills {M1, M2}: shares mastered L0 1, L1 1/2, L2 0, L3 0.
        var module = Row(data.GetProperty("modules"), "moduleCode", "M");
        Assert.Equal(2, module.GetProperty("skills").GetInt64());
        Assert.Equal(4, module.GetProperty("learners").GetInt64());
        Near(0.375, module.GetProperty("meanMasteredShare"));
        Near(0.25, module.GetProperty("medianMasteredShare"));
        Assert.Equal(1, module.GetProperty("learnersMasteredAll").GetInt64());
    }

    [Fact]
    public async Task A_module_over_a_framework_is_the_whole_subtree_its_root_included()
    {
        var data = await DataAsync("analyst", $"mastery?cohortId={world.CohortC}&frameworkId={world.Framework}");
        // {M, M1, M2}: L0 2/3, L1 1/3, L2 0, L3 0 (no one has a row on M itself: it counts as not mastered).
        var module = Row(data.GetProperty("modules"), "moduleCode", "M");
        Assert.Equal(3, module.GetProperty("skills").GetInt64());
        Near(0.25, module.GetProperty("meanMasteredShare"));
        Near(1.0 / 6, module.GetProperty("medianMasteredShare"));
        Assert.Equal(0, module.GetProperty("learnersMasteredAll").GetInt64());
        Assert.DoesNotContain(data.GetProperty("modules").EnumerateArray(), m => m.GetProperty("moduleCode").GetString() == "X");
    }

    [Fact]
    public async Task Completion_and_drop_off_per_step_of_a_cohort()
    {
        var steps = (await DataAsync("E", $"steps?cohortId={world.CohortC}&pathVersionId={world.P1V1}")).GetProperty("steps");
        Assert.Equal(["s0", "s1", "s2"], steps.EnumerateArray().Select(s => s.GetProperty("stepKey").GetString()));
        // C: L0 [3,3,3] completed, L1 [3,3,2], L2 [3,1,0], L3 [4,1,0] withdrawn.
        (string Key, long Reached, long InProgress, long Completed, long Skipped, long Stopped, long Withdrawn, double Completion, double? DropOff)[] expected =
        [
            ("s0", 4, 0, 3, 1, 0, 0, 0.75, 0),
            ("s1", 4, 0, 2, 0, 2, 1, 0.5, 0.5),
            ("s2", 2, 1, 1, 0, 1, 0, 0.25, 0.5),
        ];
        foreach (var e in expected)
        {
            var step = Row(steps, "stepKey", e.Key);
            Assert.Equal(4, step.GetProperty("enrolled").GetInt64());
            Assert.Equal(e.Reached, step.GetProperty("reached").GetInt64());
            Assert.Equal(e.InProgress, step.GetProperty("inProgress").GetInt64());
            Assert.Equal(e.Completed, step.GetProperty("completed").GetInt64());
            Assert.Equal(e.Skipped, step.GetProperty("skipped").GetInt64());
            Assert.Equal(e.Stopped, step.GetProperty("stoppedHere").GetInt64());
            Assert.Equal(e.Withdrawn, step.GetProperty("withdrawnHere").GetInt64());
            Near(e.Completion, step.GetProperty("completionRate"));
            Near(e.DropOff!.Value, step.GetProperty("dropOffRate"));
        }
    }

    [Fact]
    public async Task A_program_of_two_paths_counts_every_enrolled_learner_and_suppresses_the_small_version()
    {
        var steps = (await DataAsync("analyst", $"steps?paths={world.P1},{world.P2}")).GetProperty("steps").EnumerateArray().ToList();
        var s0 = steps.Single(s => s.GetProperty("pathVersionId").GetGuid() == world.P1V1 && s.GetProperty("stepKey").GetString() == "s0");
        // All seven on P1 v1: s0 codes 3,3,3,4,3,1,3.
        Assert.Equal(7, s0.GetProperty("enrolled").GetInt64());
        Assert.Equal(7, s0.GetProperty("reached").GetInt64());
        Assert.Equal(5, s0.GetProperty("completed").GetInt64());
        Assert.Equal(1, s0.GetProperty("stoppedHere").GetInt64());
        Near(5.0 / 7, s0.GetProperty("completionRate"));
        var p2 = steps.Single(s => s.GetProperty("pathVersionId").GetGuid() == world.P2V1);
        Assert.Equal(2, p2.GetProperty("enrolled").GetInt64());
        Hidden(p2, "reached", "completed", "completionRate");
    }

    [Fact]
    public async Task Score_distribution_of_a_cohort_with_quartiles_by_linear_interpolation()
    {
        var quiz = (await DataAsync("E", $"scores?cohortId={world.CohortC}&pathVersionId={world.P1V1}")).GetProperty("assessments").EnumerateArray().Single();
        // C: .8 .6 .4 1.0 → sorted .4 .6 .8 1.0.
        Assert.Equal(world.Quiz, quiz.GetProperty("assessmentId").GetGuid());
        Assert.Equal(4, quiz.GetProperty("learners").GetInt64());
        Near(0.7, quiz.GetProperty("mean"));
        Near(Math.Sqrt(0.2 / 3), quiz.GetProperty("standardDeviation"));
        Near(0.4, quiz.GetProperty("minimum"));
        Near(0.55, quiz.GetProperty("firstQuartile"));
        Near(0.7, quiz.GetProperty("median"));
        Near(0.85, quiz.GetProperty("thirdQuartile"));
        Near(1.0, quiz.GetProperty("maximum"));
    }

    [Fact]
    public async Task Time_on_task_of_a_cohort_per_learner_step_and_skill()
    {
        var data = await DataAsync("E", $"time?cohortId={world.CohortC}&pathVersionId={world.P1V1}");
        // Totals L0 481000, L1 230000, L2 150000, L3 10000 (the event without a duration is left out).
        var total = data.GetProperty("total");
        Assert.Equal(4, total.GetProperty("learners").GetInt64());
        Assert.Equal(871000, total.GetProperty("totalMs").GetInt64());
        Near(217750, total.GetProperty("meanMsPerLearner"));
        Near(190000, total.GetProperty("medianMsPerLearner"));
        // s0 (skill M1): L0 60000, L1 30000, L2 20000; s1 and s2 have two learners each: suppressed.
        var s0 = Row(data.GetProperty("steps"), "code", "s0");
        Assert.Equal(3, s0.GetProperty("learners").GetInt64());
        Assert.Equal(110000, s0.GetProperty("totalMs").GetInt64());
        Near(110000.0 / 3, s0.GetProperty("meanMsPerLearner"));
        Near(30000, s0.GetProperty("medianMsPerLearner"));
        Hidden(Row(data.GetProperty("steps"), "code", "s1"), "totalMs", "meanMsPerLearner");
        Assert.Equal(110000, Row(data.GetProperty("skills"), "code", "M1").GetProperty("totalMs").GetInt64());
        Hidden(Row(data.GetProperty("skills"), "code", "M2"), "totalMs");
    }

    [Fact]
    public async Task A_learners_own_time_names_steps_and_skills_through_content_versions_items_and_aligned_activities()
    {
        var own = await DataAsync("L0", $"time?pathVersionId={world.P1V1}");
        Assert.Equal(481000, own.GetProperty("total").GetProperty("totalMs").GetInt64());
        Assert.Equal(60000, Row(own.GetProperty("steps"), "code", "s0").GetProperty("totalMs").GetInt64());
        Assert.Equal(120000, Row(own.GetProperty("steps"), "code", "s1").GetProperty("totalMs").GetInt64()); // a version of the lesson
        Assert.Equal(300000, Row(own.GetProperty("steps"), "code", "s2").GetProperty("totalMs").GetInt64());
        Assert.Equal(120000, Row(own.GetProperty("skills"), "code", "M2").GetProperty("totalMs").GetInt64()); // the lesson is aligned to M2

        var l2 = await DataAsync("E", $"time?learnerId={world.Learners[2]}&pathVersionId={world.P1V1}");
        Assert.Equal(90000, Row(l2.GetProperty("steps"), "code", "s1").GetProperty("totalMs").GetInt64()); // the lesson itself
        Assert.Equal(130000, Row(l2.GetProperty("skills"), "code", "M2").GetProperty("totalMs").GetInt64()); // lesson + aligned activity
        Assert.Equal(JsonValueKind.Null, Row(l2.GetProperty("skills"), "code", "M2").GetProperty("suppressed").ValueKind);
    }

    [Fact]
    public async Task Time_on_task_takes_a_window_of_occurrence()
    {
        var data = await DataAsync("L0", "time?since=2026-11-20T00:00:00Z&until=2026-11-21T00:00:00Z");
        Assert.Equal(480000, data.GetProperty("total").GetProperty("totalMs").GetInt64());
    }

    [Fact]
    public async Task Weekly_progress_counts_mastered_skills_and_completed_steps_per_week_and_to_date()
    {
        var data = await DataAsync("E", $"progress?cohortId={world.CohortC}&pathVersionId={world.P1V1}&until=2026-11-29&weeks=3");
        var weeks = data.GetProperty("weeks").EnumerateArray().ToList();
        Assert.Equal(["2026-11-09", "2026-11-16", "2026-11-23"], weeks.Select(w => w.GetProperty("weekStart").GetString()));
        // Mastered: L1 M1 2026-11-02 (before), L0 M1 11-10, L0 M2 11-25. Completed: L2 s0 11-01 (before), L0 s0 11-10, L1 s0 11-11,
        // L0 s1 11-17, L0 s2 11-24, L1 s1 11-29 23:00.
        long[][] expected = [[1, 2, 2, 3], [0, 1, 2, 4], [1, 2, 3, 6]];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i][0], weeks[i].GetProperty("masteredSkills").GetInt64());
            Assert.Equal(expected[i][1], weeks[i].GetProperty("completedSteps").GetInt64());
            Assert.Equal(expected[i][2], weeks[i].GetProperty("masteredSkillsToDate").GetInt64());
            Assert.Equal(expected[i][3], weeks[i].GetProperty("completedStepsToDate").GetInt64());
        }
    }

    [Fact]
    public async Task Two_cohorts_side_by_side_with_differences()
    {
        var rows = (await DataAsync("analyst", $"cohorts/compare?cohortA={world.CohortC}&cohortB={world.CohortD}&pathVersionId={world.P1V1}"))
            .GetProperty("rows").EnumerateArray().ToList();
        JsonElement Measure(string measure, string subject) =>
            rows.Single(r => r.GetProperty("measure").GetString() == measure && r.GetProperty("subject").GetString() == subject);

        // M2 mastered share: C 1/3, D 2/3 (L4, L6 of L4 L5 L6). M1 in D: two rows only, suppressed, so no difference.
        var m2 = Measure("masteredShare", "M2");
        Near(1.0 / 3, m2.GetProperty("a"));
        Near(2.0 / 3, m2.GetProperty("b"));
        Near(1.0 / 3, m2.GetProperty("difference"));
        Assert.Equal(JsonValueKind.Null, Measure("masteredShare", "M1").GetProperty("b").ValueKind);
        Assert.Equal(JsonValueKind.Null, Measure("masteredShare", "M1").GetProperty("difference").ValueKind);
        // s0 completion: C 3/4, D 2/3 (L4 3, L5 1, L6 3).
        Near(2.0 / 3 - 0.75, Measure("completionRate", "p1 v1 s0").GetProperty("difference"));
        // Scores: C mean .7 median .7; D .9 .5 .8: mean 2.2/3, median .8.
        Near(2.2 / 3 - 0.7, Measure("meanScore", "Quiz A").GetProperty("difference"));
        Near(0.1, Measure("medianScore", "Quiz A").GetProperty("difference"));
        // Time: C 217750 per learner, D (50000 + 30000 + 70000) / 3.
        Near(50000 - 217750, Measure("meanTimeMs", "all activity").GetProperty("difference"));
    }

    [Fact]
    public async Task A_cohort_smaller_than_the_minimum_is_suppressed_but_a_learners_own_figures_never_are()
    {
        var small = await DataAsync("E", $"mastery?cohortId={world.CohortS}&pathVersionId={world.P1V1}");
        Assert.Equal(2, small.GetProperty("learners").GetInt64());
        Assert.Contains("2 learner(s)", small.GetProperty("suppressed").GetString());
        Assert.All(small.GetProperty("skills").EnumerateArray(), s => Hidden(s, "mastered", "levels", "meanValue"));
        var progress = await DataAsync("E", $"progress?cohortId={world.CohortS}&until=2026-11-29&weeks=2");
        Assert.All(progress.GetProperty("weeks").EnumerateArray(), w => Assert.Equal(JsonValueKind.Null, w.GetProperty("masteredSkills").ValueKind));

        var own = await DataAsync("L5", $"mastery?pathVersionId={world.P1V1}");
        Assert.Equal(1, own.GetProperty("learners").GetInt64());
        var m2 = Row(own.GetProperty("skills"), "skillCode", "M2");
        Assert.Equal(0, m2.GetProperty("mastered").GetInt64());
        Near(0.3, m2.GetProperty("meanValue"));
        Assert.Equal(JsonValueKind.Null, m2.GetProperty("suppressed").ValueKind);
    }

    [Theory]
    [InlineData("analyst", "cohort", 200)]
    [InlineData("admin", "cohort", 200)]
    [InlineData("E", "cohort", 200)]
    [InlineData("H", "cohort", 404)]
    [InlineData("G", "cohort", 404)]
    [InlineData("L0", "cohort", 403)]
    [InlineData("L0", "self", 200)]
    [InlineData("L1", "self", 404)]
    [InlineData("E", "self", 200)]
    [InlineData("H", "self", 404)]
    [InlineData("analyst", "self", 200)]
    [InlineData("E", "path", 403)]
    [InlineData("analyst", "path", 200)]
    [InlineData("L0", "path", 200)]
    public async Task Analysts_and_admins_see_all_educators_their_cohorts_learners_themselves(string actor, string scope, int expected)
    {
        var about = scope switch
        {
            "cohort" => $"cohortId={world.CohortC}",
            "self" => $"learnerId={world.Learners[0]}",
            _ => $"pathVersionId={world.P1V1}",
        };
        var path = scope == "path" ? "" : $"&pathVersionId={world.P1V1}";
        var response = await world.Clients[actor].GetAsync($"/api/v1/analytics/performance/steps?{about}{path}");
        if (expected != 200)
        {
            await Json.ProblemAsync(response, expected);
            return;
        }

        var body = await Json.ReadAsync(response);
        Assert.Equal(200, (int)response.StatusCode);
        var learners = body.GetProperty("data").GetProperty("learners").GetInt64();
        // A learner naming only the path gets their own figures; an analyst naming only the path gets every enrolled learner.
        Assert.Equal(scope switch { "cohort" => 4, "self" => 1, _ => actor == "L0" ? 1 : 7 }, learners);
    }

    [Theory]
    [InlineData("E", 404)]
    [InlineData("G", 404)]
    [InlineData("analyst", 200)]
    [InlineData("L0", 403)]
    public async Task Comparing_cohorts_needs_both_in_reach(string actor, int expected)
    {
        var response = await world.Clients[actor].GetAsync($"/api/v1/analytics/performance/cohorts/compare?cohortA={world.CohortC}&cohortB={world.CohortD}");
        if (expected == 200) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        else await Json.ProblemAsync(response, expected);
    }

    [Theory]
    [InlineData("steps?cohortId={C}", "/pathVersionId")]
    [InlineData("mastery?paths=nope", "/paths")]
    [InlineData("mastery?paths={P1}&pathVersionId={V}", "/paths")]
    [InlineData("mastery?cohortId={C}&learnerId={L}", "/cohortId")]
    [InlineData("mastery", "/cohortId")]
    [InlineData("progress?cohortId={C}&weeks=0", "/weeks")]
    [InlineData("progress?cohortId={C}&weeks=105", "/weeks")]
    [InlineData("time?cohortId={C}&since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z", "/until")]
    [InlineData("scores?cohortId={C}&format=pdf", "/format")]
    [InlineData("cohorts/compare?cohortA={C}", "/cohortB")]
    [InlineData("cohorts/compare?cohortA={C}&cohortB={C}", "/cohortB")]
    public async Task Bad_parameters_are_a_400_naming_the_field(string url, string field)
    {
        url = url.Replace("{C}", world.CohortC.ToString(), StringComparison.Ordinal).Replace("{P1}", world.P1.ToString(), StringComparison.Ordinal)
            .Replace("{V}", world.P1V1.ToString(), StringComparison.Ordinal).Replace("{L}", world.Learners[0].ToString(), StringComparison.Ordinal);
        var problem = await Json.ProblemAsync(await world.Clients["analyst"].GetAsync("/api/v1/analytics/performance/" + url), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("pathVersionId", "path version")]
    [InlineData("paths", "path")]
    [InlineData("cohortId", "cohort")]
    public async Task An_unknown_path_version_path_or_cohort_is_a_404_naming_it(string parameter, string what)
    {
        var unknown = Guid.CreateVersion7();
        var problem = await Json.ProblemAsync(await world.Clients["analyst"].GetAsync($"/api/v1/analytics/performance/mastery?{parameter}={unknown}"), 404);
        Assert.Contains(what, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(unknown.ToString(), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps_as_csv_one_line_per_step_with_the_parameters_in_a_header()
    {
        var response = await world.Clients["E"].GetAsync($"/api/v1/analytics/performance/steps?cohortId={world.CohortC}&pathVersionId={world.P1V1}&format=csv");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"cohortId={world.CohortC}&pathVersionId={world.P1V1}", response.Headers.GetValues("Analytics-Parameters").Single());
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("path_id,path_code,version,path_version_id,step_id,step_key,title,kind,position,enrolled,reached,in_progress,completed,skipped,"
            + "stopped_here,withdrawn_here,completion_rate,drop_off_rate,suppressed", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.EndsWith(",s1,s1,content,1,4,4,0,2,0,2,1,0.5,0.5,", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_panel_answers_csv()
    {
        foreach (var panel in new[] { "mastery", "scores", "time", "progress" })
        {
            var response = await world.Clients["analyst"].GetAsync($"/api/v1/analytics/performance/{panel}?cohortId={world.CohortC}&pathVersionId={world.P1V1}&format=csv");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{panel}: {text}");
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.True(text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length > 1, $"{panel}: {text}");
        }

        var scores = await (await world.Clients["analyst"].GetAsync($"/api/v1/analytics/performance/scores?cohortId={world.CohortC}&pathVersionId={world.P1V1}&format=csv"))
            .Content.ReadAsStringAsync();
        Assert.Contains($"{world.Quiz},Quiz A,4,0.7,", scores, StringComparison.Ordinal);
        var compare = await (await world.Clients["analyst"].GetAsync(
            $"/api/v1/analytics/performance/cohorts/compare?cohortA={world.CohortC}&cohortB={world.CohortD}&format=csv")).Content.ReadAsStringAsync();
        Assert.StartsWith("measure,subject_id,subject,cohort_a,cohort_b,difference\r\n", compare, StringComparison.Ordinal);
        // A negative difference starts with '-', which the house CSV rule (Server/Api/Csv) neutralises like any formula.
        Assert.True(compare.Contains(",all activity,217750,50000,\"'-167750\"", StringComparison.Ordinal), compare);
    }

    [Fact]
    public async Task Mastered_at_is_set_when_mastery_is_reached_kept_while_it_holds_and_cleared_when_it_is_lost()
    {
        var learner = world.Learners[7];
        async Task<DateTimeOffset?> MasteredAtAsync() =>
            await world.ScalarAsync<DateTime?>("SELECT mastered_at FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2", learner, world.X)
                is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null;

        await world.ExecuteAsync("""
            INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, mastered, last_evidence_at)
            VALUES ($1, $2, 0.4, false, '2026-11-01T00:00:00Z')
            """, learner, world.X);
        Assert.Null(await MasteredAtAsync());
        const string Update = "UPDATE hephaestus.learner_skill_mastery SET mastered = $3, last_evidence_at = $4::timestamptz WHERE learner_id = $1 AND skill_id = $2";
        await world.ExecuteAsync(Update, learner, world.X, true, "2026-11-05T08:00:00Z");
        Assert.Equal(DateTimeOffset.Parse("2026-11-05T08:00:00Z", CultureInfo.InvariantCulture), await MasteredAtAsync());
        await world.ExecuteAsync(Update, learner, world.X, true, "2026-11-09T08:00:00Z");
        Assert.Equal(DateTimeOffset.Parse("2026-11-05T08:00:00Z", CultureInfo.InvariantCulture), await MasteredAtAsync());
        await world.ExecuteAsync(Update, learner, world.X, false, "2026-11-12T08:00:00Z");
        Assert.Null(await MasteredAtAsync());
    }
}

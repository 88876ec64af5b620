using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>
/// Cohort P: learners p0–p5 and their educator. Skills use the "latest" method (value = latest score, mastered at 0.75).
/// Stuck (minimum evidence 5): skill S1's mastery rows have evidence counts 6, 5, 7, 2, 8, 1, only p2 mastered: stuck p0, p1,
/// p4 (3 of 6, mean evidence 19/3); skill S2 has two learners (suppressed).
/// Time to mastery, skill S3 (days from first evidence to the first latest score ≥ 0.75): p0 0.5@0, 0.8@2 → 2; p1 0.9@0 → 0;
/// p2 0.3@0, 0.6@1, 0.76@4 → 4; p3 0.5@0, 0.8@6, 0.2@7 → 6; p4 0.1@0, 0.75@10 → 10; p5 not mastered. Sorted 0, 2, 4, 6, 10:
/// quartiles 2, 4, 6, mean 4.4.
/// Early quits (at most 2 steps, idle 14 days), path Q: p0 withdrawn after 1 step; p1 active, 2 steps, idle 30 days; p2
/// active, 3 steps, idle (too many steps); p3 active today, 0 steps; p4 withdrawn, 0 steps; p5 completed. 6 enrollments,
/// withdrawn 2, idle 1, share 0.5. Path R: two enrollments (suppressed).
/// At risk (idle 14 days, a fall of 0.1 over 14 days): last progress p0 1 day ago; p1 2 days ago but skill S4 fell from 0.9
/// (20 days ago) to 0.3 (2 days ago); p2 30 days ago (idle); p3 today; p4 20 days ago (idle); p5 5 days ago with S4 from 0.5
/// to 0.45 (a fall of 0.05). At risk: p1, p2, p4.
/// Repeated wrong answers, cohort W of w0–w5 through the API (item "b" right): w0 a, a; w1 a, a; w2 c, c; w3 a, b; w4 b, b;
/// w5 a once. Retrying 5, repeating 3 (share 0.6), top response {"optionId":"a"} by 2.
/// </summary>
public sealed class PatternsWorld : ApiDatabase
{
    public Guid Cohort { get; private set; }
    public Guid CohortW { get; private set; }
    public Guid PathQ { get; private set; }
    public Guid PathR { get; private set; }
    public Guid S1 { get; private set; }
    public Guid S2 { get; private set; }
    public Guid S3 { get; private set; }
    public Guid S4 { get; private set; }
    public Guid Item { get; private set; }
    public List<Guid> P { get; } = [];
    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var framework = await Catalog.FrameworkAsync(this, "patterns");
        await ExecuteAsync("UPDATE hephaestus.competency_frameworks SET mastery_method = 'latest' WHERE id = $1", framework);
        (S1, S2, S3, S4) = (await Catalog.SkillAsync(this, framework, "S1"), await Catalog.SkillAsync(this, framework, "S2"),
            await Catalog.SkillAsync(this, framework, "S3"), await Catalog.SkillAsync(this, framework, "S4"));

        Guid educator;
        (educator, Clients["educator"]) = await UserAsync("e@patterns.test", "educator");
        (_, Clients["other educator"]) = await UserAsync("f@patterns.test", "educator");
        (_, Clients["analyst"]) = await UserAsync("n@patterns.test", "analyst");
        (_, Clients["admin"]) = await UserAsync("root@patterns.test", "admin");
        (_, Clients["author"]) = await UserAsync("a@patterns.test", "author");
        for (var i = 0; i < 6; i++)
        {
            var (id, client) = await UserAsync($"p{i}@patterns.test", "learner");
            P.Add(id);
            if (i == 0) Clients["learner"] = client;
        }

        Cohort = await CohortAsync(P[0], educator);
        foreach (var learner in P.Skip(1)) await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", Cohort, learner);

        int[] counts = [6, 5, 7, 2, 8, 1];
        for (var i = 0; i < 6; i++) await MasteryAsync(P[i], S1, counts[i], i == 2, -60);
        await MasteryAsync(P[0], S2, 9, false, -60);
        await MasteryAsync(P[1], S2, 9, false, -60);

        (double Score, int Day)[][] s3 =
        [
            [(0.5, 0), (0.8, 2)], [(0.9, 0)], [(0.3, 0), (0.6, 1), (0.76, 4)], [(0.5, 0), (0.8, 6), (0.2, 7)], [(0.1, 0), (0.75, 10)], [(0.3, 0)],
        ];
        for (var i = 0; i < 6; i++)
        {
            await MasteryAsync(P[i], S3, s3[i].Length, i < 5, -60);
            await EvidenceAsync(P[i], S3, [.. s3[i].Select(e => (e.Score, e.Day - 100))]);
        }

        await MasteryAsync(P[1], S4, 2, false, -2);
        await EvidenceAsync(P[1], S4, [(0.9, -20), (0.3, -2)]);
        await MasteryAsync(P[5], S4, 2, false, -1);
        await EvidenceAsync(P[5], S4, [(0.5, -20), (0.45, -1)]);

        PathQ = await PathAsync("q");
        PathR = await PathAsync("r");
        await EnrollAsync(P[0], PathQ, "withdrawn", [3, 0, 0, 0], -1);
        await EnrollAsync(P[1], PathQ, "active", [3, 3, 0, 0], -30);
        await EnrollAsync(P[2], PathQ, "active", [3, 3, 3, 0], -30);
        await EnrollAsync(P[3], PathQ, "active", [0, 0, 0, 0], 0);
        await EnrollAsync(P[4], PathQ, "withdrawn", [0, 0, 0, 0], -20);
        await EnrollAsync(P[5], PathQ, "completed", [3, 3, 3, 3], -5);
        await EnrollAsync(P[0], PathR, "active", [0, 0, 0, 0], -40);
        await EnrollAsync(P[1], PathR, "active", [0, 0, 0, 0], -40);

        await RepeatedWrongAnswersAsync(educator);
    }

    Task MasteryAsync(Guid learner, Guid skill, int evidence, bool mastered, int lastDays) => ExecuteAsync("""
        INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, mastered, evidence_count, last_evidence_at, method)
        VALUES ($1, $2, 0.5, $3, $4, now() + make_interval(days => $5), 'latest')
        """, learner, skill, mastered, evidence, lastDays);

    async Task EvidenceAsync(Guid learner, Guid skill, IReadOnlyList<(double Score, int Days)> log)
    {
        for (var i = 0; i < log.Count; i++)
        {
            await ExecuteAsync("""
                INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
                VALUES ($1, $2, $3, $4::numeric, now() + make_interval(days => $5), 'event', $6)
                """, learner, Guid.CreateVersion7(), skill, log[i].Score, log[i].Days, i + 1);
        }
    }

    async Task<Guid> PathAsync(string code)
    {
        var (path, version) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, $2)", path, code);
        await ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version, status, published_at) VALUES ($1, $2, 1, 'published', now())", version, path);
        return path;
    }

    Task EnrollAsync(Guid learner, Guid path, string status, short[] steps, int updatedDays) => ExecuteAsync("""
        INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, status, step_status, step_scores, updated_at, completed_at, enrolled_at)
        SELECT $1, $2, $3, v.id, $4, $5, array_fill(NULL::real, ARRAY[cardinality($5)]), now() + make_interval(days => $6),
               CASE WHEN $4 = 'completed' THEN now() END, now() - interval '90 days'
        FROM hephaestus.path_versions v WHERE v.path_id = $3
        """, learner, Guid.CreateVersion7(), path, status, steps, updatedDays);

    async Task RepeatedWrongAnswersAsync(Guid educator)
    {
        var learners = new List<(Guid Id, HttpClient Client)>();
        for (var i = 0; i < 6; i++) learners.Add(await UserAsync($"w{i}@patterns.test", "learner"));
        CohortW = await CohortAsync(learners[0].Id, educator);
        foreach (var (id, _) in learners.Skip(1)) await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", CohortW, id);

        // The item measures a skill of its own: the cohort W learners' evidence touches nothing cohort P's panels read.
        var skill = await Catalog.SkillAsync(this, await Catalog.FrameworkAsync(this, "patterns-w"), "W");
        var options = new[] { "a", "b", "c" }.Select(id => new { id, text = "option " + id }).ToArray();
        var created = await Clients["author"].PostAsJsonAsync("/api/v1/items",
            new { definition = new { type = "single_choice", prompt = "Pick b", points = 1, correctOptionId = "b", options }, skills = new[] { new { skillId = skill, weight = 1 } } });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        Item = (await Json.ReadAsync(created)).GetProperty("itemId").GetGuid();
        var assessment = await Clients["author"].PostAsJsonAsync("/api/v1/assessments", new { title = "W", parts = new[] { new { itemId = Item } } });
        Assert.True(assessment.StatusCode == HttpStatusCode.Created, await assessment.Content.ReadAsStringAsync());
        var assessmentId = (await Json.ReadAsync(assessment)).GetProperty("id").GetGuid();

        string[][] answers = [["a", "a"], ["a", "a"], ["c", "c"], ["a", "b"], ["b", "b"], ["a"]];
        for (var i = 0; i < 6; i++)
        {
            foreach (var answer in answers[i]) await SubmitAsync(learners[i], assessmentId, answer);
        }
    }

    static async Task SubmitAsync((Guid Id, HttpClient Client) learner, Guid assessment, string optionId)
    {
        var started = await learner.Client.PostAsync($"/api/v1/assessments/{assessment}/attempts", null);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        var attempt = await Json.ReadAsync(started);
        var version = attempt.GetProperty("items")[0].GetProperty("itemVersionId").GetGuid();
        var responses = new Dictionary<Guid, object> { [version] = new { optionId } };
        var submitted = await learner.Client.PostAsJsonAsync($"/api/v1/learners/{learner.Id}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", new { responses });
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
    }
}

public class PatternsTests(PatternsWorld world) : IClassFixture<PatternsWorld>
{
    async Task<JsonElement> DataAsync(string who, string url)
    {
        var response = await world.Clients[who].GetAsync(url);
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body.GetProperty("data");
    }

    static JsonElement Skill(JsonElement data, Guid id) => data.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("skillId").GetGuid() == id);

    [Fact]
    public async Task Stuck_skills_count_learners_with_much_evidence_and_no_mastery()
    {
        var data = await DataAsync("educator", $"/api/v1/analytics/patterns/stuck?cohortId={world.Cohort}");
        Assert.Equal(5, data.GetProperty("minimumEvidence").GetInt32());
        var s1 = Skill(data, world.S1);
        Assert.Equal(6, s1.GetProperty("learners").GetInt64());
        Assert.Equal(3, s1.GetProperty("stuck").GetInt64());
        Assert.Equal(0.5, s1.GetProperty("stuckShare").GetDouble(), 9);
        Assert.Equal(19.0 / 3, s1.GetProperty("meanEvidenceOfStuck").GetDouble(), 9);
        var s2 = Skill(data, world.S2);
        Assert.Equal(JsonValueKind.Null, s2.GetProperty("stuck").ValueKind);
        Assert.Contains("2 learner(s)", s2.GetProperty("suppressed").GetString());

        // A higher bar: only p0 (6) and p4 (8) have 6 or more.
        var stricter = await DataAsync("analyst", $"/api/v1/analytics/patterns/stuck?cohortId={world.Cohort}&minimumEvidence=6");
        Assert.Equal(2, Skill(stricter, world.S1).GetProperty("stuck").GetInt64());
    }

    [Fact]
    public async Task Time_to_mastery_is_a_distribution_of_replayed_first_mastery()
    {
        var s3 = Skill(await DataAsync("analyst", $"/api/v1/analytics/patterns/time-to-mastery?cohortId={world.Cohort}"), world.S3);
        Assert.Equal(6, s3.GetProperty("learners").GetInt64());
        Assert.Equal(5, s3.GetProperty("mastered").GetInt64());
        Assert.Equal(0, s3.GetProperty("minimumDays").GetDouble(), 6);
        Assert.Equal(2, s3.GetProperty("firstQuartileDays").GetDouble(), 6);
        Assert.Equal(4, s3.GetProperty("medianDays").GetDouble(), 6);
        Assert.Equal(6, s3.GetProperty("thirdQuartileDays").GetDouble(), 6);
        Assert.Equal(10, s3.GetProperty("maximumDays").GetDouble(), 6);
        Assert.Equal(4.4, s3.GetProperty("meanDays").GetDouble(), 6);
    }

    [Fact]
    public async Task Early_quits_are_withdrawn_or_idle_enrollments_after_few_steps()
    {
        foreach (var query in new[] { $"cohortId={world.Cohort}", $"pathId={world.PathQ}" })
        {
            var data = await DataAsync("analyst", $"/api/v1/analytics/patterns/early-quits?{query}");
            var q = data.GetProperty("paths").EnumerateArray().Single(p => p.GetProperty("pathId").GetGuid() == world.PathQ);
            Assert.Equal(6, q.GetProperty("enrollments").GetInt64());
            Assert.Equal(2, q.GetProperty("withdrawn").GetInt64());
            Assert.Equal(1, q.GetProperty("idle").GetInt64());
            Assert.Equal(0.5, q.GetProperty("share").GetDouble(), 9);
            var bySteps = q.GetProperty("byStepsCompleted").EnumerateArray()
                .Select(s => (s.GetProperty("stepsCompleted").GetInt32(), s.GetProperty("withdrawn").GetInt64(), s.GetProperty("idle").GetInt64())).ToList();
            Assert.Equal([(0, 1L, 0L), (1, 1L, 0L), (2, 0L, 1L)], bySteps);
        }

        var cohort = await DataAsync("educator", $"/api/v1/analytics/patterns/early-quits?cohortId={world.Cohort}");
        var r = cohort.GetProperty("paths").EnumerateArray().Single(p => p.GetProperty("pathId").GetGuid() == world.PathR);
        Assert.Equal(2, r.GetProperty("enrollments").GetInt64());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("withdrawn").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, r.GetProperty("suppressed").ValueKind);
    }

    [Fact]
    public async Task Repeated_wrong_answers_count_the_same_wrong_response_across_attempts()
    {
        var data = await DataAsync("educator", $"/api/v1/analytics/patterns/repeated-wrong-answers?cohortId={world.CohortW}");
        var item = Assert.Single(data.GetProperty("items").EnumerateArray());
        Assert.Equal(world.Item, item.GetProperty("itemId").GetGuid());
        Assert.Equal(5, item.GetProperty("learnersRetrying").GetInt64());
        Assert.Equal(3, item.GetProperty("learnersRepeating").GetInt64());
        Assert.Equal(0.6, item.GetProperty("share").GetDouble(), 9);
        Assert.Equal("a", JsonDocument.Parse(item.GetProperty("topResponse").GetString()!).RootElement.GetProperty("optionId").GetString());
        Assert.Equal(2, item.GetProperty("topResponseLearners").GetInt64());
    }

    [Fact]
    public async Task Learners_at_risk_are_idle_or_falling_a_keyset_page_at_a_time()
    {
        // p1 (falling), p2 and p4 (idle), in learner id order: ids made in one millisecond are not in the order they were
        // made, so the expected order is the ids' own (their text compares as PostgreSQL compares uuids).
        var atRisk = new[] { world.P[1], world.P[2], world.P[4] }.OrderBy(id => id.ToString("D"), StringComparer.Ordinal).ToList();
        static Guid Id(JsonElement learner) => learner.GetProperty("learnerId").GetGuid();
        var first = await DataAsync("educator", $"/api/v1/analytics/patterns/at-risk?cohortId={world.Cohort}&limit=2");
        var page = first.GetProperty("learners");
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(atRisk.Take(2), items.Select(Id));

        var next = page.GetProperty("next").GetString();
        var second = await DataAsync("educator", $"/api/v1/analytics/patterns/at-risk?cohortId={world.Cohort}&limit=2&after={next}");
        var rest = second.GetProperty("learners");
        var restItems = rest.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(atRisk.Skip(2), restItems.Select(Id));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);

        var learners = items.Concat(restItems).ToDictionary(Id);
        Assert.False(learners[world.P[1]].GetProperty("idle").GetBoolean());
        var falling = Assert.Single(learners[world.P[1]].GetProperty("fallingSkills").EnumerateArray());
        Assert.Equal(world.S4, falling.GetProperty("skillId").GetGuid());
        Assert.Equal(0.9, falling.GetProperty("before").GetDouble(), 9);
        Assert.Equal(0.3, falling.GetProperty("now").GetDouble(), 9);
        Assert.True(learners[world.P[2]].GetProperty("idle").GetBoolean());
        Assert.Empty(learners[world.P[2]].GetProperty("fallingSkills").EnumerateArray());

        // A fall of 0.05 counts once the bar is lower: p5 joins.
        var lower = await DataAsync("analyst", $"/api/v1/analytics/patterns/at-risk?cohortId={world.Cohort}&fallingBy=0.05");
        Assert.Contains(world.P[5], lower.GetProperty("learners").GetProperty("items").EnumerateArray().Select(l => l.GetProperty("learnerId").GetGuid()));
    }

    public static TheoryData<string, string, HttpStatusCode> AccessCases()
    {
        var data = new TheoryData<string, string, HttpStatusCode>();
        foreach (var panel in new[] { "stuck", "time-to-mastery", "early-quits", "repeated-wrong-answers", "at-risk" })
        {
            data.Add(panel, "analyst path", HttpStatusCode.OK);
            data.Add(panel, "admin cohort", HttpStatusCode.OK);
            data.Add(panel, "educator cohort", HttpStatusCode.OK);
            data.Add(panel, "educator path", HttpStatusCode.Forbidden);
            data.Add(panel, "other educator cohort", HttpStatusCode.NotFound);
            data.Add(panel, "learner cohort", HttpStatusCode.Forbidden);
            data.Add(panel, "analyst unknown path", HttpStatusCode.NotFound);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AccessCases))]
    public async Task Access_per_role(string panel, string who, HttpStatusCode expected)
    {
        var parts = who.Split(' ');
        var query = parts[^1] == "cohort" ? $"cohortId={world.Cohort}" : parts[^2] == "unknown" ? $"pathId={Guid.NewGuid()}" : $"pathId={world.PathQ}";
        var client = world.Clients[string.Join(' ', parts.TakeWhile(p => p is not ("cohort" or "path" or "unknown")))];
        Assert.Equal(expected, (await client.GetAsync($"/api/v1/analytics/patterns/{panel}?{query}")).StatusCode);
    }

    [Theory]
    [InlineData("stuck", "", "/cohortId")]
    [InlineData("stuck", "&minimumEvidence=0", "/minimumEvidence")]
    [InlineData("early-quits", "&maximumSteps=-1", "/maximumSteps")]
    [InlineData("early-quits", "&idleDays=0", "/idleDays")]
    [InlineData("repeated-wrong-answers", "&minimumRepeats=1", "/minimumRepeats")]
    [InlineData("at-risk", "&fallingBy=2", "/fallingBy")]
    [InlineData("at-risk", "&fallingDays=0", "/fallingDays")]
    [InlineData("at-risk", "&limit=500", "/limit")]
    [InlineData("time-to-mastery", "&format=xml", "/format")]
    public async Task Bad_parameters_are_400_naming_the_field(string panel, string query, string field)
    {
        var group = field == "/cohortId" ? "" : $"cohortId={world.Cohort}";
        var response = await world.Clients["analyst"].GetAsync($"/api/v1/analytics/patterns/{panel}?{group}{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Json.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Every_panel_answers_csv()
    {
        foreach (var (panel, header) in new[]
                 {
                     ("stuck", "skill_id,skill_code,skill_title,learners,stuck"), ("time-to-mastery", "skill_id,skill_code,skill_title,learners,mastered"),
                     ("early-quits", "path_id,path_code,path_title,enrollments,steps_completed"), ("at-risk", "learner_id,display_name,last_progress_at,idle"),
                 })
        {
            var response = await world.Clients["analyst"].GetAsync($"/api/v1/analytics/patterns/{panel}?cohortId={world.Cohort}&format=csv");
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith(header, await response.Content.ReadAsStringAsync());
        }

        var stuck = await (await world.Clients["analyst"].GetAsync($"/api/v1/analytics/patterns/stuck?cohortId={world.Cohort}&format=csv")).Content.ReadAsStringAsync();
        Assert.Contains($"{world.S1},S1,S1,6,3,0.5,", stuck);
        var wrong = await (await world.Clients["analyst"].GetAsync($"/api/v1/analytics/patterns/repeated-wrong-answers?cohortId={world.CohortW}&format=csv"))
            .Content.ReadAsStringAsync();
        Assert.StartsWith("item_id,item_code,learners_retrying,learners_repeating", wrong);
        Assert.Contains($"{world.Item},,5,3,0.6,", wrong);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Server.Tests.ContentReview;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>
/// The worked example of Hephaestus.Domain.Tests' ItemStatisticsTests (every figure computed by hand there), played
/// through the API: six learners submit quiz Q of four items, A (single choice of 4, 1 point, everyone right), B (multiple
/// choice, all or nothing, 1 point, only learner 5), C (multiple choice, partial credit on 2 correct of 3 options,
/// 2 points: marks 2 2 2 1 1 0) and D (short text, 1 point, learners 2 and 3). Learners 1–3 are in cohort K, taught by
/// educator E. Quiz R (one short text item E, answered by learners 1–5, only the first right) is regraded in its own test.
/// </summary>
public sealed class ItemAnalysisWorld : ApiDatabase
{
    public HttpClient Author { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Analyst { get; private set; } = null!;
    public HttpClient Educator { get; private set; } = null!;
    public HttpClient OtherEducator { get; private set; } = null!;
    public List<(Guid Id, HttpClient Client)> Learners { get; } = [];
    public Guid Cohort { get; private set; }
    public Guid Quiz { get; private set; }
    public Guid QuizR { get; private set; }
    public Guid ItemE { get; private set; }
    public Guid Skill { get; private set; }
    public Dictionary<string, Guid> Versions { get; } = [];
    readonly Dictionary<Guid, string> _types = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        (_, Author) = await UserAsync("author@items.test", "author");
        (_, Admin) = await UserAsync("root@items.test", "admin");
        (_, Analyst) = await UserAsync("analyst@items.test", "analyst");
        Guid educator;
        (educator, Educator) = await UserAsync("e@items.test", "educator");
        (_, OtherEducator) = await UserAsync("f@items.test", "educator");
        for (var i = 1; i <= 6; i++) Learners.Add(await UserAsync($"l{i}@items.test", "learner"));
        Cohort = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'K')", Cohort);
        await ExecuteAsync("""
            INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role)
            VALUES ($1, $2, 'educator'), ($1, $3, 'learner'), ($1, $4, 'learner'), ($1, $5, 'learner')
            """, Cohort, educator, Learners[0].Id, Learners[1].Id, Learners[2].Id);

        var framework = await Catalog.FrameworkAsync(this, "fw-items");
        Skill = await Catalog.SkillAsync(this, framework, "capitals");
        object[] skills = [new { skillId = Skill, weight = 1 }];
        var a = await ItemAsync(new { type = "single_choice", prompt = "A", points = 1, correctOptionId = "b", options = Options("a", "b", "c", "d") }, skills);
        var b = await ItemAsync(new { type = "multiple_choice", prompt = "B", points = 1, correctOptionIds = new[] { "b" }, options = Options("a", "b", "c") }, skills);
        var c = await ItemAsync(new
        {
            type = "multiple_choice", prompt = "C", points = 2, scoring = "partial", correctOptionIds = new[] { "x", "y" }, options = Options("x", "y", "z"),
        }, skills);
        var d = await ItemAsync(ShortText("D", "paris"), skills);
        ItemE = await ItemAsync(ShortText("E", "paris"), skills);
        Quiz = await AssessmentAsync("Q", a, b, c, d);
        QuizR = await AssessmentAsync("R", ItemE);

        string?[][] answers =
        [
            ["b", "a", "x,y", "london"],
            ["b", "a", "x,y", "Paris"],
            ["b", "a", "x,y", " paris "],
            ["b", "a,c", "x", "rome"],
            ["b", "b", "y", "London "],
            ["b", null, "z", null],
        ];
        for (var i = 0; i < 6; i++) await SubmitAsync(Learners[i], Quiz, answers[i]);
        for (var i = 0; i < 5; i++) await SubmitAsync(Learners[i], QuizR, [i == 0 ? "paris" : "lyon"]);
    }

    static object[] Options(params string[] ids) => [.. ids.Select(id => new { id, text = "option " + id })];

    static object ShortText(string prompt, string answer) => new { type = "short_text", prompt, points = 1, acceptedAnswers = new[] { answer } };

    async Task<Guid> ItemAsync(object definition, object[] skills)
    {
        var response = await Author.PostAsJsonAsync("/api/v1/items", new { definition, skills });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var item = await Json.ReadAsync(response);
        var json = JsonSerializer.SerializeToElement(definition);
        Versions[json.GetProperty("prompt").GetString()!] = item.GetProperty("versionId").GetGuid();
        _types[item.GetProperty("versionId").GetGuid()] = json.GetProperty("type").GetString()!;
        return item.GetProperty("itemId").GetGuid();
    }

    async Task<Guid> AssessmentAsync(string title, params Guid[] items)
    {
        var response = await Author.PostAsJsonAsync("/api/v1/assessments", new { title, parts = items.Select(itemId => new { itemId }).ToArray() });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>
    /// Starts an attempt and submits one answer per item in order (null: unanswered): an option id for a single choice,
    /// comma-separated ids for a multiple choice, the text for a short text.
    /// </summary>
    public async Task SubmitAsync((Guid Id, HttpClient Client) learner, Guid assessment, string?[] answers)
    {
        var started = await learner.Client.PostAsync($"/api/v1/assessments/{assessment}/attempts", null);
        Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
        var attempt = await Json.ReadAsync(started);
        var items = attempt.GetProperty("items").EnumerateArray().ToList();
        var responses = new Dictionary<Guid, object>();
        for (var i = 0; i < items.Count; i++)
        {
            if (answers[i] is not { } answer) continue;
            var version = items[i].GetProperty("itemVersionId").GetGuid();
            responses[version] = _types[version] switch
            {
                "single_choice" => new { optionId = answer },
                "multiple_choice" => new { optionIds = answer.Split(',') },
                _ => (object)new { text = answer },
            };
        }

        var submitted = await learner.Client.PostAsJsonAsync($"/api/v1/learners/{learner.Id}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", new { responses });
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The invariant of the live sums: the contributions are exactly the attempts the policy counts, and the striped sums
    /// are exactly the sums of the contributions (checked as the owner, from scratch).
    /// </summary>
    public async Task AssertSumsAgreeAsync(Guid assessment)
    {
        var contributionsDiffer = await ScalarAsync<long>("""
            SELECT count(*) FROM (
                (SELECT learner_id, result_id, total, item_version_ids, marks::numeric[] FROM hephaestus.item_analysis_attempts WHERE assessment_id = $1
                 EXCEPT SELECT learner_id, result_id, total, item_version_ids, marks FROM hephaestus.item_analysis_counted(NULL, $1))
                UNION ALL
                (SELECT learner_id, result_id, total, item_version_ids, marks FROM hephaestus.item_analysis_counted(NULL, $1)
                 EXCEPT SELECT learner_id, result_id, total, item_version_ids, marks::numeric[] FROM hephaestus.item_analysis_attempts WHERE assessment_id = $1)) d
            """, assessment);
        Assert.Equal(0, contributionsDiffer);
        var sumsDiffer = await ScalarAsync<long>("""
            WITH kept AS (
                SELECT slot, item_version_id, sum(n) AS n, sum(sum_x) AS x, sum(sum_xx) AS xx, sum(sum_xt) AS xt, sum(sum_t) AS t, sum(sum_tt) AS tt
                FROM hephaestus.item_analysis_item_sums WHERE assessment_id = $1 GROUP BY 1, 2 HAVING sum(n) <> 0
            ), scratch AS (
                SELECT m.slot - 1 AS slot, m.item_version_id, count(*)::numeric AS n, sum(m.mark) AS x, sum(m.mark * m.mark) AS xx, sum(m.mark * c.total) AS xt,
                       sum(c.total) AS t, sum(c.total * c.total) AS tt
                FROM hephaestus.item_analysis_attempts c, unnest(c.item_version_ids, c.marks) WITH ORDINALITY AS m (item_version_id, mark, slot)
                WHERE c.assessment_id = $1 GROUP BY 1, 2
            )
            SELECT count(*) FROM ((TABLE kept EXCEPT TABLE scratch) UNION ALL (TABLE scratch EXCEPT TABLE kept)) d
            """, assessment);
        Assert.Equal(0, sumsDiffer);
        var testDiffers = await ScalarAsync<bool>("""
            SELECT (SELECT (coalesce(sum(n), 0), coalesce(sum(sum_t), 0), coalesce(sum(sum_t4), 0)) FROM hephaestus.item_analysis_test_sums WHERE assessment_id = $1)
                IS DISTINCT FROM
                   (SELECT (count(*)::numeric, coalesce(sum(total), 0), coalesce(sum(total ^ 4), 0)) FROM hephaestus.item_analysis_attempts WHERE assessment_id = $1)
            """, assessment);
        Assert.False(testDiffers);
    }
}

public class ItemAnalysisTests(ItemAnalysisWorld w) : IClassFixture<ItemAnalysisWorld>
{
    static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    /// <summary>The data of an analytics answer (its envelope holds parameters and freshness).</summary>
    static async Task<JsonElement> DataAsync(HttpResponseMessage response) => (await OkAsync(response)).GetProperty("data");

    string Url(string path = "item-analysis", string query = "") => $"/api/v1/analytics/assessments/{w.Quiz}/{path}{query}";

    static double? Number(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetDouble();

    Dictionary<string, JsonElement> ItemsByPrompt(JsonElement analysis) =>
        analysis.GetProperty("items").EnumerateArray().ToDictionary(i => w.Versions.Single(v => v.Value == i.GetProperty("itemVersionId").GetGuid()).Key);

    [Fact]
    public async Task The_live_analysis_of_the_worked_example_matches_the_hand_computation()
    {
        var analysis = await DataAsync(await w.Analyst.GetAsync(Url()));
        Assert.True(analysis.GetProperty("fromRunningSums").GetBoolean());
        Assert.Equal("highest", analysis.GetProperty("attemptPolicy").GetString());
        var test = analysis.GetProperty("test");
        Assert.Equal(6, test.GetProperty("attempts").GetInt64());
        Assert.Equal(17.0 / 6, Number(test, "mean")!.Value, 9);
        Assert.Equal(3, Number(test, "median")!.Value, 9);
        Assert.Equal(Math.Sqrt(41.0 / 30), Number(test, "standardDeviation")!.Value, 9);
        Assert.Equal(-0.66763, Number(test, "skewness")!.Value, 4);
        Assert.Equal(-750.0 / 1681, Number(test, "kurtosis")!.Value, 9);
        Assert.Equal(3200.0 / 123, Number(test, "cic")!.Value, 9);
        Assert.Equal(86.0138, Number(test, "errorRatio")!.Value, 3);
        Assert.Equal(1.00554, Number(test, "standardError")!.Value, 4);

        var items = ItemsByPrompt(analysis);
        Assert.Equal((100.0, 0.0, 25.0, 20.0, 0.0), (Number(items["A"], "facility"), Number(items["A"], "standardDeviation"), Number(items["A"], "randomGuessScore"),
            Number(items["A"], "intendedWeight"), Number(items["A"], "effectiveWeight")));
        Assert.Null(Number(items["A"], "discriminationIndex"));
        Assert.Null(Number(items["A"], "discriminativeEfficiency"));
        Assert.Equal(-26.968, Number(items["B"], "discriminationIndex")!.Value, 3);
        Assert.Equal(-50, Number(items["B"], "discriminativeEfficiency")!.Value, 9);
        Assert.True(items["B"].GetProperty("flagged").GetBoolean());
        Assert.Null(Number(items["B"], "randomGuessScore"));
        Assert.Equal(10.162, Number(items["B"], "effectiveWeight")!.Value, 3);
        Assert.Equal(200.0 / 3, Number(items["C"], "facility")!.Value, 9);
        Assert.Equal(40, Number(items["C"], "intendedWeight")!.Value, 9);
        Assert.Equal(44.721, Number(items["C"], "discriminationIndex")!.Value, 3);
        Assert.Equal(50, Number(items["C"], "discriminativeEfficiency")!.Value, 9);
        Assert.Equal(51.816, Number(items["C"], "effectiveWeight")!.Value, 3);
        Assert.Equal(0, Number(items["D"], "randomGuessScore"));
        Assert.Equal(100 * Math.Sqrt(4.0 / 15), Number(items["D"], "standardDeviation")!.Value, 9);
        Assert.Equal(46.291, Number(items["D"], "discriminationIndex")!.Value, 3);
        Assert.Equal(100, Number(items["D"], "discriminativeEfficiency")!.Value, 9);
        Assert.False(items["D"].GetProperty("flagged").GetBoolean());
        await w.AssertSumsAgreeAsync(w.Quiz);
    }

    [Fact]
    public async Task Without_order_statistics_the_answer_comes_from_the_sums_alone()
    {
        var analysis = await DataAsync(await w.Analyst.GetAsync(Url(query: "?orderStatistics=false")));
        Assert.Equal(JsonValueKind.Null, analysis.GetProperty("test").GetProperty("median").ValueKind);
        Assert.Equal(3200.0 / 123, Number(analysis.GetProperty("test"), "cic")!.Value, 9);
        Assert.All(analysis.GetProperty("items").EnumerateArray(), i => Assert.Null(Number(i, "discriminativeEfficiency")));
    }

    [Fact]
    public async Task The_attempt_policy_decides_the_counted_attempt_and_moves_the_live_sums()
    {
        // Learner 1 retakes Q and leaves it blank (0 points). Under "highest" the first attempt (3 points) still counts.
        await w.SubmitAsync(w.Learners[0], w.Quiz, [null, null, null, null]);
        try
        {
            var highest = await DataAsync(await w.Analyst.GetAsync(Url()));
            Assert.Equal(17.0 / 6, Number(highest.GetProperty("test"), "mean")!.Value, 9);
            Assert.Equal(100, Number(ItemsByPrompt(highest)["A"], "facility"));
            await w.AssertSumsAgreeAsync(w.Quiz);

            // "latest" counts the blank retake: totals 0 4 4 2 3 1, and item A is no longer right for everyone.
            await w.ExecuteAsync("UPDATE hephaestus.assessments SET attempt_policy = 'latest' WHERE id = $1", w.Quiz);
            var latest = await DataAsync(await w.Analyst.GetAsync(Url()));
            Assert.Equal("latest", latest.GetProperty("attemptPolicy").GetString());
            Assert.Equal(14.0 / 6, Number(latest.GetProperty("test"), "mean")!.Value, 9);
            Assert.Equal(500.0 / 6, Number(ItemsByPrompt(latest)["A"], "facility")!.Value, 9);
            Assert.NotNull(Number(ItemsByPrompt(latest)["A"], "discriminationIndex"));
            await w.AssertSumsAgreeAsync(w.Quiz);

            // "average" counts both of learner 1's attempts: seven.
            await w.ExecuteAsync("UPDATE hephaestus.assessments SET attempt_policy = 'average' WHERE id = $1", w.Quiz);
            var average = await DataAsync(await w.Analyst.GetAsync(Url()));
            Assert.Equal(7, average.GetProperty("test").GetProperty("attempts").GetInt64());
            await w.AssertSumsAgreeAsync(w.Quiz);
        }
        finally
        {
            await w.ExecuteAsync("UPDATE hephaestus.assessments SET attempt_policy = 'highest' WHERE id = $1", w.Quiz);
        }

        var back = await DataAsync(await w.Analyst.GetAsync(Url()));
        Assert.Equal(17.0 / 6, Number(back.GetProperty("test"), "mean")!.Value, 9);
        await w.AssertSumsAgreeAsync(w.Quiz);
    }

    [Fact]
    public async Task A_regrade_replaces_the_counted_marks_and_the_sums_follow()
    {
        var url = $"/api/v1/analytics/assessments/{w.QuizR}/item-analysis";
        var before = await DataAsync(await w.Analyst.GetAsync(url));
        Assert.Equal(20, Number(before.GetProperty("items")[0], "facility")!.Value, 9);

        // A new version of E accepts "lyon" too; regrading scores learners 2 to 5 right.
        var edited = await w.Author.PutAsJsonAsync($"/api/v1/items/{w.ItemE}", new
        {
            definition = new { type = "short_text", prompt = "E", points = 1, acceptedAnswers = new[] { "paris", "lyon" } },
            skills = new[] { new { skillId = w.Skill, weight = 1 } },
        });
        Assert.True(edited.IsSuccessStatusCode, await edited.Content.ReadAsStringAsync());
        var newVersion = (await Json.ReadAsync(edited)).GetProperty("versionId").GetGuid();
        var regraded = await w.Admin.PostAsJsonAsync($"/api/v1/items/{w.ItemE}/regrade", new { fromVersion = 1 });
        Assert.True(regraded.IsSuccessStatusCode, await regraded.Content.ReadAsStringAsync());

        var after = await DataAsync(await w.Analyst.GetAsync(url));
        var item = Assert.Single(after.GetProperty("items").EnumerateArray());
        Assert.Equal(newVersion, item.GetProperty("itemVersionId").GetGuid());
        Assert.Equal(100, Number(item, "facility"));
        Assert.Equal(5, after.GetProperty("test").GetProperty("attempts").GetInt64());
        await w.AssertSumsAgreeAsync(w.QuizR);
    }

    [Fact]
    public async Task The_most_common_wrong_responses_are_normalized_counted_and_shared()
    {
        var d = w.Versions["D"];
        var wrong = await DataAsync(await w.Analyst.GetAsync(Url($"items/{d}/wrong-responses")));
        Assert.Equal(6, wrong.GetProperty("answered").GetInt64());
        var rows = wrong.GetProperty("responses").EnumerateArray()
            .Select(r => (r.GetProperty("response").ValueKind == JsonValueKind.Null ? null : r.GetProperty("response").GetString(), r.GetProperty("count").GetInt64(),
                Math.Round(r.GetProperty("share").GetDouble(), 4))).ToList();
        // "london" and "London " are one wrong answer; learner 6 left D blank.
        Assert.Equal([("london", 2L, 0.3333), ("rome", 1L, 0.1667), (null, 1L, 0.1667)], rows);

        var b = await DataAsync(await w.Analyst.GetAsync(Url($"items/{w.Versions["B"]}/wrong-responses", "?limit=2")));
        Assert.Equal(["a", "a,c"], b.GetProperty("responses").EnumerateArray().Select(r => r.GetProperty("response").GetString()));

        // Three learners in the cohort: fewer than the minimum group size (5), so the counts are not shown.
        var cohort = await DataAsync(await w.Educator.GetAsync(Url($"items/{d}/wrong-responses", $"?cohortId={w.Cohort}")));
        Assert.Equal(3, cohort.GetProperty("answered").GetInt64());
        Assert.Contains("fewer than the minimum group size of 5", cohort.GetProperty("suppressed").GetString(), StringComparison.Ordinal);
        Assert.Empty(cohort.GetProperty("responses").EnumerateArray());
    }

    [Fact]
    public async Task An_educator_analyses_only_a_cohort_they_teach_and_sees_its_learners_only()
    {
        var envelope = await OkAsync(await w.Educator.GetAsync(Url(query: $"?cohortId={w.Cohort}")));
        var cohort = envelope.GetProperty("data");
        Assert.Equal(5, envelope.GetProperty("minimumGroupSize").GetInt32());
        Assert.False(cohort.GetProperty("fromRunningSums").GetBoolean());
        // Learners 1–3 only: three attempts, fewer than the minimum group size, so every figure is suppressed.
        Assert.Equal(3, cohort.GetProperty("test").GetProperty("attempts").GetInt64());
        Assert.Equal(JsonValueKind.Null, cohort.GetProperty("test").GetProperty("mean").ValueKind);
        Assert.Contains("3 learner(s)", cohort.GetProperty("suppressed").GetString(), StringComparison.Ordinal);
        Assert.All(cohort.GetProperty("items").EnumerateArray(), i =>
        {
            Assert.Null(Number(i, "facility"));
            Assert.NotNull(i.GetProperty("suppressed").GetString());
        });

        Assert.Equal(HttpStatusCode.Forbidden, (await w.Educator.GetAsync(Url())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await w.OtherEducator.GetAsync(Url(query: $"?cohortId={w.Cohort}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await w.Learners[0].Client.GetAsync(Url())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await w.Author.GetAsync(Url("irt"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await w.Admin.GetAsync(Url())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await w.Analyst.GetAsync($"/api/v1/analytics/assessments/{Guid.CreateVersion7()}/item-analysis")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await w.Educator.PostAsync(Url("item-analysis/flags"), null)).StatusCode);
    }

    [Fact]
    public async Task The_analysis_downloads_as_csv_one_row_per_item_version()
    {
        var response = await w.Analyst.GetAsync(Url(query: "?format=csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("item_version_id,item_id,version,type,points,attempts,facility,", lines[0], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
        // A negative figure starts like a formula, so the one CSV writer quotes it as text ('-50), as for every download.
        var b = lines.Single(l => l.StartsWith(w.Versions["B"].ToString(), StringComparison.Ordinal)).Split(',');
        Assert.Equal(-50, double.Parse(b[12].Trim('"').TrimStart('\''), System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal("true", b[13]);
    }

    [Fact]
    public async Task Irt_skips_items_with_too_few_answers_and_says_why()
    {
        var irt = await DataAsync(await w.Analyst.GetAsync(Url("irt")));
        Assert.Equal(6, irt.GetProperty("persons").GetInt32());
        Assert.All(irt.GetProperty("items").EnumerateArray(), i => Assert.Contains("fewer than 30", i.GetProperty("skipped").GetString(), StringComparison.Ordinal));
        var lowered = await DataAsync(await w.Analyst.GetAsync(Url("irt", "?minimumAnswers=2")));
        var rows = lowered.GetProperty("items").EnumerateArray().ToDictionary(i => w.Versions.Single(v => v.Value == i.GetProperty("itemVersionId").GetGuid()).Key);
        Assert.Equal("everybody answered it correctly", rows["A"].GetProperty("skipped").GetString());
        Assert.Equal(JsonValueKind.Number, rows["D"].GetProperty("difficulty").ValueKind);
    }

    [Fact]
    public async Task Flags_land_in_the_regeneration_queue_for_items_whose_stem_came_from_content_once()
    {
        var content = await ContentRows.VersionAsync(w, await ContentRows.ItemAsync(w), author: null);
        await w.ExecuteAsync("UPDATE hephaestus.item_versions SET stem_content_version_id = $1 WHERE id = $2", content, w.Versions["B"]);

        var first = await OkAsync(await w.Analyst.PostAsync(Url("item-analysis/flags"), null));
        var flag = Assert.Single(first.GetProperty("flags").EnumerateArray());
        Assert.Equal(content, flag.GetProperty("contentVersionId").GetGuid());
        Assert.False(flag.GetProperty("alreadyFlagged").GetBoolean());
        var again = await OkAsync(await w.Analyst.PostAsync(Url("item-analysis/flags"), null));
        Assert.True(Assert.Single(again.GetProperty("flags").EnumerateArray()).GetProperty("alreadyFlagged").GetBoolean());

        Assert.Equal(1, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_flags WHERE content_version_id = $1 AND source = 'item_analysis'", content));
        var queue = await OkAsync(await w.Admin.GetAsync("/api/v1/content/regeneration-queue"));
        Assert.Contains(queue.GetProperty("items").EnumerateArray(), c => c.GetProperty("versionId").GetGuid() == content);
    }
}

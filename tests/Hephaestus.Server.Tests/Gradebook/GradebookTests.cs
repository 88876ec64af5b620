using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Gradebook;

/// <summary>
/// Cohort C taught by educator E with three learners: Ada (Quiz A twice: 0.5 then 1; Quiz B once: 0), Brook (Quiz A
/// twice: 0 then 0.5; Quiz B started, not submitted) and a learner whose display name is a formula with a comma and
/// quotes (nothing attempted). Quiz A gives full feedback, Quiz B none. Ada's work was also rated with a rubric.
/// Educator F teaches cohort D, with learner Otto, who took Quiz A once (1).
/// </summary>
public sealed class GradebookWorld : ApiDatabase
{
    public const string FormulaName = "=Smith, \"Jo\"";

    public HttpClient Educator { get; private set; } = null!;
    public HttpClient OtherEducator { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public Guid Cohort { get; private set; }
    public Guid OtherCohort { get; private set; }
    public (Guid Id, HttpClient Client) Ada { get; private set; }
    public (Guid Id, HttpClient Client) Brook { get; private set; }
    public (Guid Id, HttpClient Client) Formula { get; private set; }
    public Guid Otto { get; private set; }
    public Guid QuizA { get; private set; }
    public Guid QuizB { get; private set; }
    public Guid ItemX { get; private set; }
    public Guid ItemY { get; private set; }
    public Guid Skill { get; private set; }
    public Guid Rubric { get; private set; }

    /// <summary>Attempt ids by learner name and assessment, in the order they were made.</summary>
    public Dictionary<string, List<Guid>> Attempts { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var (_, author) = await UserAsync("author@grades.test", "author");
        (_, Educator) = await UserAsync("e@grades.test", "educator");
        (_, OtherEducator) = await UserAsync("f@grades.test", "educator");
        (_, Admin) = await UserAsync("root@grades.test", "admin");
        Ada = await UserAsync("ada@grades.test", "learner");
        Brook = await UserAsync("brook@grades.test", "learner");
        Formula = await UserAsync("formula@grades.test", "learner");
        HttpClient otto;
        (Otto, otto) = await UserAsync("otto@grades.test", "learner");
        await ExecuteAsync("UPDATE hephaestus.users SET display_name = 'Ada Lovelace' WHERE id = $1", Ada.Id);
        await ExecuteAsync("UPDATE hephaestus.users SET display_name = 'Brook' WHERE id = $1", Brook.Id);
        await ExecuteAsync("UPDATE hephaestus.users SET display_name = $2 WHERE id = $1", Formula.Id, FormulaName);
        var educators = await ScalarAsync<Guid[]>("SELECT array_agg(id ORDER BY email) FROM hephaestus.users WHERE email IN ('e@grades.test', 'f@grades.test')");
        (Cohort, OtherCohort) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'C'), ($2, 'D')", Cohort, OtherCohort);
        await ExecuteAsync("""
            INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role)
            VALUES ($1, $3, 'educator'), ($1, $4, 'learner'), ($1, $5, 'learner'), ($1, $6, 'learner'), ($2, $7, 'educator'), ($2, $8, 'learner')
            """, Cohort, OtherCohort, educators![0], Ada.Id, Brook.Id, Formula.Id, educators[1], Otto);

        var framework = await Catalog.FrameworkAsync(this, "fw-grades");
        Skill = await Catalog.SkillAsync(this, framework, "fractions");
        ItemX = await ItemAsync(author, "1/2 + 1/4 = ?");
        ItemY = await ItemAsync(author, "1/3 + 1/6 = ?");
        QuizA = await AssessmentAsync(author, "Quiz A", "full", ItemX, ItemY);
        QuizB = await AssessmentAsync(author, "Quiz B", "none", ItemX);

        await AttemptAsync("ada", Ada, QuizA, ["b", "a"]);
        await AttemptAsync("ada", Ada, QuizA, ["b", "b"]);
        await AttemptAsync("ada", Ada, QuizB, ["a"]);
        await AttemptAsync("brook", Brook, QuizA, ["a", "a"]);
        await AttemptAsync("brook", Brook, QuizA, [null, "b"]);
        await AttemptAsync("brook", Brook, QuizB, null);
        await AttemptAsync("otto", (Otto, otto), QuizA, ["b", "b"]);

        Rubric = Guid.CreateVersion7();
        var criterion = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, 'Essay')", Rubric);
        await ExecuteAsync("""
            INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, skill_id, ratings, mastery_points)
            VALUES ($1, $2, 0, 'Argument', $3, '[{"description":"Good","points":4},{"description":"Weak","points":1}]', 4)
            """, criterion, Rubric, Skill);
        var rated = await Educator.PostAsJsonAsync($"/api/v1/learners/{Ada.Id}/rubric-assessments",
            new { rubricId = Rubric, subject = "essay 1", ratings = new[] { new { criterionId = criterion, points = 4, comment = "clear" } } });
        Assert.Equal(HttpStatusCode.Created, rated.StatusCode);
    }

    async Task<Guid> ItemAsync(HttpClient author, string prompt)
    {
        var definition = new
        {
            type = "single_choice", prompt, points = 2, correctOptionId = "b",
            options = new[] { new { id = "a", text = "wrong" }, new { id = "b", text = "right" } },
        };
        var response = await author.PostAsJsonAsync("/api/v1/items", new { definition, skills = new[] { new { skillId = Skill, weight = 1 } } });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("itemId").GetGuid();
    }

    static async Task<Guid> AssessmentAsync(HttpClient author, string title, string feedback, params Guid[] items)
    {
        var response = await author.PostAsJsonAsync("/api/v1/assessments",
            new { title, parts = items.Select(itemId => new { itemId }).ToArray(), settings = new { feedback } });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("id").GetGuid();
    }

    /// <summary>Starts an attempt and, unless <paramref name="answers"/> is null, submits it with one option per item (null: unanswered).</summary>
    async Task AttemptAsync(string name, (Guid Id, HttpClient Client) learner, Guid assessment, string?[]? answers)
    {
        var started = await learner.Client.PostAsync($"/api/v1/assessments/{assessment}/attempts", null);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var attempt = await Json.ReadAsync(started);
        var id = attempt.GetProperty("id").GetGuid();
        Attempts.TryAdd(name, []);
        Attempts[name].Add(id);
        if (answers is null) return;
        var versions = attempt.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemVersionId").GetGuid()).ToList();
        var responses = versions.Zip(answers).Where(p => p.Second is not null).ToDictionary(p => p.First, p => (object)new { optionId = p.Second });
        var submitted = await learner.Client.PostAsJsonAsync($"/api/v1/learners/{learner.Id}/attempts/{id}/submit", new { responses });
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
    }
}

public class GradebookTests(GradebookWorld w) : IClassFixture<GradebookWorld>
{
    static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    /// <summary>Ids in the order PostgreSQL sorts uuids (byte order, which is the order of their lowercase text).</summary>
    static List<Guid> InUuidOrder(params Guid[] ids) => [.. ids.OrderBy(id => id.ToString(), StringComparer.Ordinal)];

    static List<Guid> Ids(JsonElement items, string property) => [.. items.EnumerateArray().Select(i => i.GetProperty(property).GetGuid())];

    static string? Number(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Each cell as "status/attempts/score" (score "-" when absent), per learner.</summary>
    static Dictionary<Guid, string[]> Cells(JsonElement book) => book.GetProperty("items").EnumerateArray().ToDictionary(
        r => r.GetProperty("learnerId").GetGuid(),
        r => r.GetProperty("cells").EnumerateArray()
            .Select(c => $"{c.GetProperty("status").GetString()}/{c.GetProperty("attempts").GetInt32()}/{Number(c.GetProperty("score")) ?? "-"}").ToArray());

    string GradebookUrl(string query = "") => $"/api/v1/cohorts/{w.Cohort}/gradebook{query}";

    [Fact]
    public async Task The_educator_sees_each_learner_against_each_assessment_with_status_attempts_and_the_highest_score()
    {
        var book = await OkAsync(await w.Educator.GetAsync(GradebookUrl()));
        Assert.Equal([w.QuizA, w.QuizB], Ids(book.GetProperty("columns"), "id"));
        Assert.Equal(["Quiz A", "Quiz B"], book.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("title").GetString()));
        Assert.Equal(InUuidOrder(w.Ada.Id, w.Brook.Id, w.Formula.Id), Ids(book.GetProperty("items"), "learnerId"));
        var cells = Cells(book);
        // The educator sees Quiz B's score even though its feedback level hides it from the learner.
        Assert.Equal(["graded/2/1", "graded/1/0"], cells[w.Ada.Id]);
        Assert.Equal(["graded/2/0.5", "in_progress/1/-"], cells[w.Brook.Id]);
        Assert.Equal(["not_started/0/-", "not_started/0/-"], cells[w.Formula.Id]);
        Assert.Equal(GradebookWorld.FormulaName, book.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("learnerId").GetGuid() == w.Formula.Id)
            .GetProperty("displayName").GetString());
        Assert.Equal(JsonValueKind.Null, book.GetProperty("next").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, book.GetProperty("items")[0].GetProperty("cells")[0].GetProperty("lastSubmittedAt").ValueKind);
    }

    [Fact]
    public async Task The_combined_score_follows_the_assessment_attempt_policy()
    {
        // Ada took Quiz A at 0.5 then 1, Brook at 0 then 0.5: under "first" the gradebook shows their first attempts.
        await w.ExecuteAsync("UPDATE hephaestus.assessments SET attempt_policy = 'first' WHERE id = $1", w.QuizA);
        try
        {
            var cells = Cells(await OkAsync(await w.Educator.GetAsync(GradebookUrl())));
            Assert.Equal("graded/2/0.5", cells[w.Ada.Id][0]);
            Assert.Equal("graded/2/0", cells[w.Brook.Id][0]);
        }
        finally
        {
            await w.ExecuteAsync("UPDATE hephaestus.assessments SET attempt_policy = 'highest' WHERE id = $1", w.QuizA);
        }
    }

    [Fact]
    public async Task Paging_by_learner_returns_every_learner_once_with_the_same_columns_on_every_page()
    {
        var seen = new List<Guid>();
        var columns = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await OkAsync(await w.Educator.GetAsync(GradebookUrl("?limit=1" + (next is null ? "" : "&after=" + next))));
            seen.AddRange(Ids(page.GetProperty("items"), "learnerId"));
            columns.Add(page.GetProperty("columns").GetRawText());
            next = page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(InUuidOrder(w.Ada.Id, w.Brook.Id, w.Formula.Id), seen);
        Assert.Single(columns.Distinct());
    }

    [Fact]
    public async Task The_csv_download_is_exact_rfc_4180_with_formula_safe_cells_by_query_or_accept_header()
    {
        var lines = new Dictionary<Guid, string>
        {
            [w.Ada.Id] = $"{w.Ada.Id},Ada Lovelace,1,graded,0,graded\r\n",
            [w.Brook.Id] = $"{w.Brook.Id},Brook,0.5,graded,,in_progress\r\n",
            [w.Formula.Id] = $"{w.Formula.Id},\"'=Smith, \"\"Jo\"\"\",,not_started,,not_started\r\n",
        };
        var expected = $"learner_id,learner,Quiz A ({w.QuizA}) score,Quiz A ({w.QuizA}) status,Quiz B ({w.QuizB}) score,Quiz B ({w.QuizB}) status\r\n"
                       + string.Concat(InUuidOrder([.. lines.Keys]).Select(id => lines[id]));

        var byQuery = await w.Educator.GetAsync(GradebookUrl("?format=csv&limit=1"));
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal("text/csv", byQuery.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", byQuery.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal($"gradebook-{w.Cohort}.csv", byQuery.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(expected, await byQuery.Content.ReadAsStringAsync()); // every learner: the download is not paged

        var request = new HttpRequestMessage(HttpMethod.Get, GradebookUrl());
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        Assert.Equal(expected, await (await w.Educator.SendAsync(request)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_learner_sees_only_their_own_row_and_scores_the_feedback_level_allows()
    {
        var own = await OkAsync(await w.Ada.Client.GetAsync(GradebookUrl()));
        Assert.Equal([w.Ada.Id], Ids(own.GetProperty("items"), "learnerId"));
        Assert.Equal(["graded/2/1", "graded/1/-"], Cells(own)[w.Ada.Id]);
        Assert.Equal($"learner_id,learner,Quiz A ({w.QuizA}) score,Quiz A ({w.QuizA}) status,Quiz B ({w.QuizB}) score,Quiz B ({w.QuizB}) status\r\n"
                     + $"{w.Ada.Id},Ada Lovelace,1,graded,,graded\r\n", await (await w.Ada.Client.GetAsync(GradebookUrl("?format=csv"))).Content.ReadAsStringAsync());

        // Columns come from what the reader may see: a learner who attempted nothing has none.
        var formula = await OkAsync(await w.Formula.Client.GetAsync(GradebookUrl()));
        Assert.Equal(0, formula.GetProperty("columns").GetArrayLength());
        Assert.Equal([w.Formula.Id], Ids(formula.GetProperty("items"), "learnerId"));
    }

    [Fact]
    public async Task Outsiders_find_no_cohort_and_no_learner()
    {
        foreach (var url in new[] { GradebookUrl(), $"/api/v1/cohorts/{w.Cohort}/mastery-gradebook", $"/api/v1/learners/{w.Ada.Id}/results",
                     $"/api/v1/learners/{w.Ada.Id}/rubric-assessments", $"/api/v1/learners/{w.Ada.Id}/attempts/{w.Attempts["ada"][0]}/results" })
        {
            await Json.ProblemAsync(await w.OtherEducator.GetAsync(url), 404);
            await Json.ProblemAsync(await w.Brook.Client.GetAsync(url.Replace(w.Cohort.ToString(), w.OtherCohort.ToString(), StringComparison.Ordinal)), 404);
        }

        await Json.ProblemAsync(await w.Brook.Client.GetAsync($"/api/v1/learners/{w.Ada.Id}/results"), 404);
        await Json.ProblemAsync(await w.Educator.GetAsync($"/api/v1/cohorts/{Guid.NewGuid()}/gradebook"), 404);
        // An assessment is visible to everyone; its results only as far as row-level security lets: the other cohort's
        // educator sees only Otto's attempt, a learner only their own.
        var others = await OkAsync(await w.OtherEducator.GetAsync($"/api/v1/assessments/{w.QuizA}/results"));
        Assert.Equal(w.Attempts["otto"], Ids(others.GetProperty("items"), "attemptId"));
        var brooks = await OkAsync(await w.Brook.Client.GetAsync($"/api/v1/assessments/{w.QuizA}/results"));
        Assert.Equal(InUuidOrder([.. w.Attempts["brook"][..2]]), Ids(brooks.GetProperty("items"), "attemptId"));
    }

    [Fact]
    public async Task An_assessments_results_filter_by_learner_cohort_status_and_submission_time_and_page_by_attempt()
    {
        var url = $"/api/v1/assessments/{w.QuizA}/results";
        var all = await OkAsync(await w.Educator.GetAsync(url));
        var ours = w.Attempts["ada"][..2].Concat(w.Attempts["brook"][..2]).ToArray();
        Assert.Equal(InUuidOrder(ours), Ids(all.GetProperty("items"), "attemptId"));
        var scores = all.GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("attemptId").GetGuid(), r => Number(r.GetProperty("score")));
        Assert.Equal(["0.5", "1", "0", "0.5"], ours.Select(a => scores[a]));
        Assert.All(all.GetProperty("items").EnumerateArray(), r => Assert.Equal("full", r.GetProperty("shown").GetString()));

        Assert.Equal(InUuidOrder([.. w.Attempts["brook"][..2]]), Ids((await OkAsync(await w.Educator.GetAsync($"{url}?learnerId={w.Brook.Id}"))).GetProperty("items"), "attemptId"));
        Assert.Equal(w.Attempts["otto"], Ids((await OkAsync(await w.Admin.GetAsync($"{url}?cohortId={w.OtherCohort}"))).GetProperty("items"), "attemptId"));
        var open = await OkAsync(await w.Educator.GetAsync($"/api/v1/assessments/{w.QuizB}/results?status=in_progress"));
        var row = Assert.Single(open.GetProperty("items").EnumerateArray());
        Assert.Equal(w.Attempts["brook"][2], row.GetProperty("attemptId").GetGuid());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("resultId").ValueKind);
        var later = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        var earlier = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        Assert.Equal(0, (await OkAsync(await w.Educator.GetAsync($"{url}?submittedSince={later}"))).GetProperty("items").GetArrayLength());
        Assert.Equal(4, (await OkAsync(await w.Educator.GetAsync($"{url}?submittedSince={earlier}&submittedUntil={later}"))).GetProperty("items").GetArrayLength());

        // The admin pages through all five attempts, one a page, each once.
        var seen = new List<Guid>();
        string? next = null;
        do
        {
            var page = await OkAsync(await w.Admin.GetAsync($"{url}?limit=2" + (next is null ? "" : "&after=" + next)));
            seen.AddRange(Ids(page.GetProperty("items"), "attemptId"));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null && seen.Count < 10);

        Assert.Equal(InUuidOrder([.. ours, .. w.Attempts["otto"]]), seen);
    }

    [Fact]
    public async Task A_learner_reads_their_own_results_as_far_as_the_feedback_level_allows_and_staff_read_everything()
    {
        var mine = await OkAsync(await w.Ada.Client.GetAsync("/api/v1/learners/me/results"));
        Assert.Equal(InUuidOrder([.. w.Attempts["ada"]]), Ids(mine.GetProperty("items"), "attemptId"));
        var quizB = mine.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("assessmentId").GetGuid() == w.QuizB);
        Assert.Equal("none", quizB.GetProperty("shown").GetString());
        // Each row names its assessment, so a list of attempts reads without a call per assessment.
        Assert.Equal("Quiz B", quizB.GetProperty("assessmentTitle").GetString());
        Assert.Equal(JsonValueKind.Null, quizB.GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Null, quizB.GetProperty("passed").ValueKind);
        Assert.Equal("submitted", quizB.GetProperty("status").GetString());
        var filtered = await OkAsync(await w.Educator.GetAsync($"/api/v1/learners/{w.Ada.Id}/results?assessmentId={w.QuizB}"));
        Assert.Equal("0", Number(Assert.Single(filtered.GetProperty("items").EnumerateArray()).GetProperty("score")));

        // Per attempt: every revision with its items' scores for staff, and for the learner under full feedback.
        var first = $"/api/v1/learners/{w.Ada.Id}/attempts/{w.Attempts["ada"][0]}/results";
        foreach (var reader in new[] { w.Educator, w.Ada.Client })
        {
            var attempt = await OkAsync(await reader.GetAsync(first));
            Assert.Equal("Quiz A", attempt.GetProperty("assessmentTitle").GetString());
            Assert.Equal(2, attempt.GetProperty("itemVersionIds").GetArrayLength());
            var revision = Assert.Single(attempt.GetProperty("revisions").EnumerateArray());
            Assert.Equal(1, revision.GetProperty("revision").GetInt32());
            Assert.Equal("0.5", Number(revision.GetProperty("score")));
            Assert.Equal([true, false], revision.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("correct").GetBoolean()));
            Assert.Equal(["1", "0"], revision.GetProperty("items").EnumerateArray().Select(i => Number(i.GetProperty("score"))));
        }

        var hidden = $"/api/v1/learners/{w.Ada.Id}/attempts/{w.Attempts["ada"][2]}/results";
        var learnerView = await OkAsync(await w.Ada.Client.GetAsync(hidden));
        Assert.Equal("none", learnerView.GetProperty("shown").GetString());
        Assert.Equal(JsonValueKind.Null, learnerView.GetProperty("itemVersionIds").ValueKind);
        var hiddenRevision = Assert.Single(learnerView.GetProperty("revisions").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, hiddenRevision.GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Null, hiddenRevision.GetProperty("items").ValueKind);
        var staffView = Assert.Single((await OkAsync(await w.Educator.GetAsync(hidden))).GetProperty("revisions").EnumerateArray());
        Assert.Equal("0", Number(staffView.GetProperty("score")));
        Assert.Equal(1, staffView.GetProperty("items").GetArrayLength());

        var open = await OkAsync(await w.Brook.Client.GetAsync($"/api/v1/learners/{w.Brook.Id}/attempts/{w.Attempts["brook"][2]}/results"));
        Assert.Equal("in_progress", open.GetProperty("status").GetString());
        Assert.Equal(0, open.GetProperty("revisions").GetArrayLength());
    }

    [Fact]
    public async Task Rubric_assessments_read_back_to_the_learner_and_their_educator()
    {
        foreach (var (reader, url) in new[] { (w.Ada.Client, "/api/v1/learners/me/rubric-assessments"), (w.Educator, $"/api/v1/learners/{w.Ada.Id}/rubric-assessments") })
        {
            var page = await OkAsync(await reader.GetAsync(url));
            var rating = Assert.Single(page.GetProperty("items").EnumerateArray());
            Assert.Equal(w.Rubric, rating.GetProperty("rubricId").GetGuid());
            Assert.Equal("Essay", rating.GetProperty("rubricTitle").GetString());
            Assert.Equal("essay 1", rating.GetProperty("subject").GetString());
            Assert.Equal(4m, rating.GetProperty("points").GetDecimal());
            Assert.Equal("clear", rating.GetProperty("ratings")[0].GetProperty("comment").GetString());
        }

        Assert.Equal(0, (await OkAsync(await w.Brook.Client.GetAsync("/api/v1/learners/me/rubric-assessments"))).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_mastery_gradebook_shows_each_learners_level_value_and_mastery_of_each_skill_as_json_and_csv()
    {
        var url = $"/api/v1/cohorts/{w.Cohort}/mastery-gradebook";
        var book = await OkAsync(await w.Educator.GetAsync(url));
        var column = Assert.Single(book.GetProperty("columns").EnumerateArray());
        Assert.Equal(w.Skill, column.GetProperty("id").GetGuid());
        Assert.Equal("fractions", column.GetProperty("code").GetString());

        var lines = new Dictionary<Guid, string>();
        foreach (var (learner, name) in new[] { (w.Ada.Id, "Ada Lovelace"), (w.Brook.Id, "Brook") })
        {
            var value = (double)(await w.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", learner));
            var level = await w.ScalarAsync<string>("SELECT level_name FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", learner);
            var mastered = await w.ScalarAsync<bool>("SELECT mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", learner);
            var cell = book.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("learnerId").GetGuid() == learner).GetProperty("cells")[0];
            Assert.Equal(value, cell.GetProperty("value").GetDouble());
            Assert.Equal(level, cell.GetProperty("level").GetString());
            Assert.Equal(mastered, cell.GetProperty("mastered").GetBoolean());
            lines[learner] = $"{learner},{name},{level},{value.ToString(System.Globalization.CultureInfo.InvariantCulture)},{(mastered ? "true" : "false")}\r\n";
        }

        lines[w.Formula.Id] = $"{w.Formula.Id},\"'=Smith, \"\"Jo\"\"\",,,false\r\n";
        var csv = await w.Educator.GetAsync(url + "?format=csv");
        Assert.Equal($"mastery-gradebook-{w.Cohort}.csv", csv.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal($"learner_id,learner,fractions ({w.Skill}) level,fractions ({w.Skill}) value,fractions ({w.Skill}) mastered\r\n"
                     + string.Concat(InUuidOrder([.. lines.Keys]).Select(id => lines[id])), await csv.Content.ReadAsStringAsync());

        var own = await OkAsync(await w.Brook.Client.GetAsync(url));
        Assert.Equal([w.Brook.Id], Ids(own.GetProperty("items"), "learnerId"));
    }

    [Theory]
    [InlineData("/gradebook?limit=0", "/limit")]
    [InlineData("/gradebook?limit=201", "/limit")]
    [InlineData("/gradebook?format=xml", "/format")]
    [InlineData("/mastery-gradebook?format=pdf", "/format")]
    [InlineData("results?status=done", "/status")]
    [InlineData("results?submittedSince=2026-01-02T00:00:00Z&submittedUntil=2026-01-01T00:00:00Z", "/submittedUntil")]
    public async Task Bad_queries_are_problems_that_name_the_parameter(string path, string field)
    {
        var url = path.StartsWith('/') ? $"/api/v1/cohorts/{w.Cohort}{path}" : $"/api/v1/assessments/{w.QuizA}/{path}";
        var problem = await Json.ProblemAsync(await w.Educator.GetAsync(url), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("type").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task The_openapi_document_offers_the_gradebooks_as_json_and_csv()
    {
        var document = await Json.ReadAsync(await w.Api.CreateClient().GetAsync("/openapi/v1.json"));
        foreach (var path in new[] { "/api/v1/cohorts/{cohortId}/gradebook", "/api/v1/cohorts/{cohortId}/mastery-gradebook" })
        {
            var content = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content");
            Assert.True(content.TryGetProperty("application/json", out _), content.GetRawText());
            Assert.True(content.TryGetProperty("text/csv", out _), content.GetRawText());
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Hephaestus.Testing;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// The learner's views (issue 14, view 1) in a real browser: paths, an enrollment with its next steps, a content step,
/// taking an assessment of every item type, results, and mastery over time.
/// </summary>
public sealed class LearnerViewsTests(WebApp web) : IClassFixture<WebApp>
{
    /// <summary>A learner enrolled in a path: an assessment of each item type on one skill, then a content step it unlocks.</summary>
    sealed record World(Guid LearnerId, string Email, string AuthorEmail, Guid SkillId, Guid AssessmentId, Guid EnrollmentId, Guid ContentItemId, string PathTitle);

    const string LessonText = "# Fractions\n\nA fraction has a numerator over a denominator.";

    async Task<World> WorldAsync(int? timeLimitSeconds = 900)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var authorEmail = $"author-{tag}@learner-views.test";
        var learnerEmail = $"learner-{tag}@learner-views.test";
        await web.CreateUserAsync(authorEmail, "author");
        var learnerId = await web.CreateUserAsync(learnerEmail, "learner");
        var author = web.Api.ClientFor("test|" + authorEmail);
        var learner = web.Api.ClientFor("test|" + learnerEmail);
        // The catalog as the other API tests make it (the fixture's helpers); everything the learner meets through the API.
        var skill = await Catalog.SkillAsync(web, await Catalog.FrameworkAsync(web, "fw-" + tag), "fractions-" + tag);

        var items = new List<Guid>();
        foreach (var definition in Definitions())
        {
            var created = await author.PostAsJsonAsync("/api/v1/items", new { definition, skills = new[] { new { skillId = skill, weight = 1 } } });
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            items.Add((await Json.ReadAsync(created)).GetProperty("itemId").GetGuid());
        }

        var assessment = await author.PostAsJsonAsync("/api/v1/assessments", new
        {
            title = "Fractions check " + tag,
            parts = items.Select(itemId => new { itemId }).ToArray(),
            settings = new { feedback = "full", passScore = 0.5, timeLimitSeconds },
        });
        Assert.True(assessment.StatusCode == HttpStatusCode.Created, await assessment.Content.ReadAsStringAsync());
        var assessmentId = (await Json.ReadAsync(assessment)).GetProperty("id").GetGuid();

        var content = await ContentAsync(author, tag);
        var pathTitle = "Fractions path " + tag;
        var path = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + tag, title = pathTitle }));
        var (pathId, draft) = (path.GetProperty("id").GetGuid(), path.GetProperty("versions")[0].GetProperty("id").GetGuid());
        var steps = new object[]
        {
            new { key = "check", kind = "assessment", refId = assessmentId, title = "Fractions check", targetSkillIds = new[] { skill } },
            new { key = "practice", kind = "content", refId = content, title = "Practice reading", prerequisites = new[] { "check" } },
        };
        var put = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{draft}/steps", new { steps }, await author.ETagAsync($"/api/v1/paths/{pathId}/versions/{draft}"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.True((await author.PostAsync($"/api/v1/paths/{pathId}/versions/{draft}/publish", null)).IsSuccessStatusCode);

        var enrolled = await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId });
        Assert.True(enrolled.StatusCode == HttpStatusCode.Created, await enrolled.Content.ReadAsStringAsync());
        return new World(learnerId, learnerEmail, authorEmail, skill, assessmentId, (await Json.ReadAsync(enrolled)).GetProperty("id").GetGuid(), content, pathTitle);
    }

    /// <summary>One item of every type the item bank has, answered correctly by <see cref="AnswerEverythingAsync"/>.</summary>
    static object[] Definitions() =>
    [
        new { type = "single_choice", prompt = "Which is three quarters?", points = 1, options = new[] { new { id = "a", text = "2/6" }, new { id = "b", text = "3/4" }, new { id = "c", text = "1/8" } }, correctOptionId = "b" },
        new { type = "multiple_choice", prompt = "Which equal one half?", points = 1, options = new[] { new { id = "a", text = "2/4" }, new { id = "b", text = "3/6" }, new { id = "c", text = "2/3" } }, correctOptionIds = new[] { "a", "b" } },
        new { type = "numeric", prompt = "What is 1/4 as a decimal?", points = 1, value = 0.25, tolerance = 0.001 },
        new { type = "short_text", prompt = "The number above the line is the", points = 1, acceptedAnswers = new[] { "numerator" } },
        new { type = "ordering", prompt = "Order from smallest to largest.", points = 1, items = new[] { new { id = "h", text = "one half" }, new { id = "t", text = "one third" }, new { id = "q", text = "one quarter" } }, correctOrder = new[] { "q", "t", "h" } },
    ];

    /// <summary>A content item whose published version is a short Markdown lesson (published by the review lifecycle's states, as the content tests do).</summary>
    async Task<Guid> ContentAsync(HttpClient author, string tag)
    {
        var item = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/content/items", new { key = "lesson/" + tag, kind = "lesson", title = "Fractions lesson" }));
        var itemId = item.GetProperty("id").GetGuid();
        var body = new ByteArrayContent(Encoding.UTF8.GetBytes(LessonText));
        body.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        var stored = await Json.ReadAsync(await author.PostAsync("/api/v1/content/bodies", body));
        var version = await author.PostAsJsonAsync($"/api/v1/content/items/{itemId}/versions", new
        {
            body = new { sha256 = stored.GetProperty("sha256").GetString() }, mediaType = "text/markdown", provenance = new { origin = "human" },
            metadata = new { title = "Reading fractions" },
        });
        Assert.True(version.StatusCode == HttpStatusCode.Created, await version.Content.ReadAsStringAsync());
        var versionId = (await Json.ReadAsync(version)).GetProperty("id").GetGuid();
        // The publish gate needs quality scores from reviewers, which are not this test's subject.
        foreach (var status in new[] { "in_review", "approved", "published" })
        {
            await web.ExecuteAsync("UPDATE hephaestus.content_versions SET status = $2 WHERE id = $1", versionId, status);
        }

        return itemId;
    }

    /// <summary>Answers every question on the attempt page correctly, through the form as a learner would.</summary>
    static async Task AnswerEverythingAsync(IPage page)
    {
        await page.GetByLabel("3/4", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("2/4", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("3/6", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("What is 1/4 as a decimal?").FillAsync("0.25");
        await page.GetByLabel("The number above the line is the").FillAsync("Numerator");
        await page.GetByLabel("one quarter", new() { Exact = true }).SelectOptionAsync("1");
        await page.GetByLabel("one third", new() { Exact = true }).SelectOptionAsync("2");
        await page.GetByLabel("one half", new() { Exact = true }).SelectOptionAsync("3");
    }

    static async Task AssertAccessibleAsync(IPage page) => Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));

    static Task<string> PanelTextAsync(IPage page, string heading) =>
        page.Locator("section.panel").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true }) }).InnerTextAsync();

    [Fact]
    public async Task A_learner_takes_an_assessment_and_sees_mastery_and_the_next_step_change()
    {
        var w = await WorldAsync();
        var page = await web.SignInAsync(w.LearnerId);

        // My paths: the path by its title, with its progress.
        await page.GotoAsync($"/learners/{w.LearnerId}");
        var paths = await PanelTextAsync(page, "Paths");
        Assert.Contains(w.PathTitle, paths, StringComparison.Ordinal);
        Assert.Contains("0 of 2 steps done", paths, StringComparison.Ordinal);
        Assert.Contains("No evidence of mastery yet.", await PanelTextAsync(page, "Mastery"), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = w.PathTitle }).ClickAsync();

        // The enrollment: the assessment is next, the content step waits for it and says why.
        await page.WaitForURLAsync($"**/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}");
        Assert.Equal(w.PathTitle, await page.Locator("h1").InnerTextAsync());
        var next = await PanelTextAsync(page, "Next steps");
        Assert.Contains("Fractions check", next, StringComparison.Ordinal);
        Assert.Contains("Practice reading: step check not completed", next, StringComparison.Ordinal);
        Assert.Equal("locked", await page.Locator("tr", new() { HasText = "Practice reading" }).Locator("td").Nth(1).InnerTextAsync());
        await AssertAccessibleAsync(page);

        // Taking it: the attempt shows every question type and the time left, counted down by the script.
        await page.GetByRole(AriaRole.Button, new() { Name = "Take the assessment: Fractions check" }).ClickAsync();
        await page.WaitForURLAsync("**/attempts/*");
        var attemptUrl = page.Url;
        Assert.Equal(1, await page.Locator("time[data-countdown]").CountAsync());
        Assert.Matches(@"^1[45]:\d\d$", await page.Locator("time[data-countdown]").InnerTextAsync());
        Assert.Equal(5, await page.Locator("ol.items > li").CountAsync());
        await AssertAccessibleAsync(page);

        // Saved answers come back on the next view of the attempt (post-redirect-get), before any submission.
        await AnswerEverythingAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save answers" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        Assert.Contains("Your answers are saved.", await page.GetByRole(AriaRole.Status).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("0.25", await page.GetByLabel("What is 1/4 as a decimal?").InputValueAsync());
        Assert.True(await page.GetByLabel("3/6", new() { Exact = true }).IsCheckedAsync());
        Assert.Equal("1", await page.GetByLabel("one quarter", new() { Exact = true }).InputValueAsync());
        Assert.Equal(5L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempt_responses WHERE learner_id = $1", w.LearnerId));

        // Submitting shows the feedback the assessment allows (full: the score and each question).
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Result", Exact = true }).WaitForAsync();
        var result = await PanelTextAsync(page, "Result");
        Assert.Contains("100%", result, StringComparison.Ordinal);
        Assert.Contains("5 of 5 points", result, StringComparison.Ordinal);
        Assert.Equal(5, await page.Locator("p.correct").CountAsync());
        Assert.Contains("one quarter → one third → one half", await PanelTextAsync(page, "Your answers"), StringComparison.Ordinal);
        await AssertAccessibleAsync(page);
        await WebApp.ScreenshotAsync(page, "learner-attempt");

        // The next step changed: the assessment is done and the content step it held is open.
        await page.GotoAsync($"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}");
        next = await PanelTextAsync(page, "Next steps");
        Assert.Contains("Practice reading", next, StringComparison.Ordinal);
        Assert.DoesNotContain("Locked steps", next, StringComparison.Ordinal);
        Assert.Equal("completed", await page.Locator("tr", new() { HasText = "Fractions check" }).Locator("td").Nth(1).InnerTextAsync());
        Assert.Contains("1 of 2 steps done", await PanelTextAsync(page, "Steps"), StringComparison.Ordinal);
        await WebApp.ScreenshotAsync(page, "learner-enrollment");

        // Mastery changed: the skill has evidence, a level, and a history drawn as a chart with its numbers.
        await page.GotoAsync($"/learners/{w.LearnerId}");
        var mastery = await PanelTextAsync(page, "Mastery");
        Assert.DoesNotContain("No evidence", mastery, StringComparison.Ordinal);
        var stored = await web.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2", w.LearnerId, w.SkillId);
        Assert.True(stored > 0);
        await WebApp.ScreenshotAsync(page, "learner-home");
        await page.Locator("a[href$='/skills/" + w.SkillId + "']").ClickAsync();
        await page.WaitForURLAsync($"**/skills/{w.SkillId}");
        Assert.Contains("Mastery of fractions-", await page.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(WebUserNumber(stored), await PanelTextAsync(page, "Current level"), StringComparison.Ordinal);
        Assert.Equal(5, await page.Locator("figure.chart circle.point").CountAsync());
        Assert.Equal(5, await page.Locator("figure.chart details tbody tr").CountAsync());
        await AssertAccessibleAsync(page);
        await WebApp.ScreenshotAsync(page, "learner-skill");

        // The attempts list names the assessment and its score; it leads back to the attempt.
        await page.GotoAsync($"/learners/{w.LearnerId}/attempts");
        var row = page.Locator("tbody tr");
        Assert.Equal(1, await row.CountAsync());
        Assert.Contains("100%", await row.InnerTextAsync(), StringComparison.Ordinal);
        await AssertAccessibleAsync(page);
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync(attemptUrl);
    }

    /// <summary>Mastery as the page shows it: two decimals, in English (the user's profile names no locale).</summary>
    static string WebUserNumber(decimal value) => ((double)value).ToString("N2", System.Globalization.CultureInfo.GetCultureInfo("en"));

    [Fact]
    public async Task A_content_step_shows_its_published_version_and_the_learner_starts_and_completes_it()
    {
        var w = await WorldAsync();
        // The assessment step taken through the API, so the content step is open.
        var learner = web.Api.ClientFor("test|" + w.Email);
        var attempt = await Json.ReadAsync(await learner.PostAsync($"/api/v1/assessments/{w.AssessmentId}/attempts", null));
        var submitted = await learner.PostAsync($"/api/v1/learners/{w.LearnerId}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", null);
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);

        var page = await web.SignInAsync(w.LearnerId);
        await page.GotoAsync($"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Practice reading" }).ClickAsync();
        await page.WaitForURLAsync($"**/content/{w.ContentItemId}");
        Assert.Equal("Reading fractions", await page.Locator("h1").InnerTextAsync());
        Assert.Contains("text/markdown", await PanelTextAsync(page, "Published version"), StringComparison.Ordinal);
        Assert.Equal(LessonText, await page.Locator("pre.content-body").InnerTextAsync());
        await AssertAccessibleAsync(page);
        // Reading it through the page is a delivery like any other: the learner is recorded as shown it.
        Assert.Equal(1L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_exposures WHERE learner_id = $1", w.LearnerId));
        // The whole body downloads as an attachment, never as a page of this site.
        var download = await page.APIRequest.GetAsync($"/content-bodies/{w.ContentItemId}");
        Assert.Equal(200, download.Status);
        Assert.StartsWith("attachment", download.Headers["content-disposition"], StringComparison.Ordinal);
        Assert.Equal(LessonText, await download.TextAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the path" }).ClickAsync();
        var status = page.Locator("tr", new() { HasText = "Practice reading" }).Locator("td").Nth(1);
        await Assertions.Expect(status).ToHaveTextAsync("available");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start: Practice reading" }).ClickAsync();
        await Assertions.Expect(status).ToHaveTextAsync("in progress");
        await page.GetByRole(AriaRole.Button, new() { Name = "Mark complete: Practice reading" }).ClickAsync();
        await Assertions.Expect(status).ToHaveTextAsync("completed");
        Assert.EndsWith($"/enrollments/{w.EnrollmentId}", page.Url, StringComparison.Ordinal);
        Assert.Contains("2 of 2 steps done", await PanelTextAsync(page, "Steps"), StringComparison.Ordinal);
        Assert.Equal("completed", await web.ScalarAsync<string>("SELECT status FROM hephaestus.enrollments WHERE id = $1", w.EnrollmentId));
    }

    [Fact]
    public async Task A_refused_action_shows_the_apis_problem_and_changes_nothing()
    {
        var w = await WorldAsync();
        var page = await web.SignInAsync(w.LearnerId);
        await page.GotoAsync($"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}");
        // The assessment is retired between the page's view and the learner's press of its button.
        var retired = await web.Api.ClientFor("test|" + w.AuthorEmail).PostAsync($"/api/v1/assessments/{w.AssessmentId}/retire", null);
        Assert.True(retired.IsSuccessStatusCode, await retired.Content.ReadAsStringAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Take the assessment: Fractions check" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        Assert.Contains("retired", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        Assert.EndsWith($"/enrollments/{w.EnrollmentId}", page.Url, StringComparison.Ordinal);
        Assert.Equal(0L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempts WHERE learner_id = $1", w.LearnerId));
    }

    [Fact]
    public async Task A_learner_cannot_open_another_learners_enrollment_attempt_skill_or_content()
    {
        var w = await WorldAsync();
        var owner = web.Api.ClientFor("test|" + w.Email);
        var attempt = (await Json.ReadAsync(await owner.PostAsync($"/api/v1/assessments/{w.AssessmentId}/attempts", null))).GetProperty("id").GetGuid();
        var intruder = await web.CreateUserAsync($"intruder-{Guid.NewGuid():N}@learner-views.test", "learner");
        var page = await web.SignInAsync(intruder);

        foreach (var url in new[]
        {
            $"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}",
            $"/learners/{w.LearnerId}/attempts/{attempt}",
            $"/learners/{w.LearnerId}/attempts",
            $"/learners/{w.LearnerId}/skills/{w.SkillId}",
            $"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}/content/{w.ContentItemId}",
            // The intruder's own id in the path does not open the other learner's rows either.
            $"/learners/{intruder}/enrollments/{w.EnrollmentId}",
            $"/learners/{intruder}/attempts/{attempt}",
        })
        {
            var response = await page.GotoAsync(url);
            Assert.True(response!.Status == 404, $"{url}: {response.Status}");
            Assert.Equal("Not found", await page.Locator("h1").InnerTextAsync());
            Assert.DoesNotContain("Fractions", await page.ContentAsync(), StringComparison.Ordinal);
        }

        // Nor is the content body handed out through the download.
        Assert.Equal(404, (await page.APIRequest.GetAsync($"/content-bodies/{w.ContentItemId}")).Status);
    }

    [Fact]
    public async Task A_timed_out_attempt_refuses_new_answers_and_says_so()
    {
        var w = await WorldAsync(timeLimitSeconds: 10);
        var page = await web.SignInAsync(w.LearnerId);
        await page.GotoAsync($"/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Take the assessment: Fractions check" }).ClickAsync();
        await page.WaitForURLAsync("**/attempts/*");
        // The server's deadline passes (moved, rather than waited for).
        await web.ExecuteAsync("UPDATE hephaestus.attempts SET deadline_at = now() - interval '1 second' WHERE learner_id = $1", w.LearnerId);
        await page.GetByLabel("What is 1/4 as a decimal?").FillAsync("0.25");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save answers" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        Assert.Contains("Time is up", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.attempt_responses WHERE learner_id = $1", w.LearnerId));
    }
}

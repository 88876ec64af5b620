using System.Net.Http.Json;
using Hephaestus.Testing;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// The educator's views: their cohorts, a cohort's progress on a path as a heat map, the learning-mastery gradebook with
/// its CSV, learners at risk, and overrides with their audit trail; each set up through the API as the role that would.
/// </summary>
public sealed class EducatorViewsTests(WebApp web) : IClassFixture<WebApp>
{
    /// <summary>A cohort taught by an educator, three learners enrolled in a three-step path, one not enrolled; another educator.</summary>
    sealed record Class(string Tag, Guid Cohort, string CohortName, Guid Path, Guid Educator, Guid OtherEducator, Guid Ada, Guid Ben, Guid Cy,
        Guid Skill);

    async Task<Class> ClassAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var admin = await ClientAsync($"admin-{tag}@edu.test", "admin");
        var author = await ClientAsync($"author-{tag}@edu.test", "author");
        var educator = await web.CreateUserAsync($"teacher-{tag}@edu.test", "educator");
        var other = await web.CreateUserAsync($"elsewhere-{tag}@edu.test", "educator");
        var learners = new List<Guid>();
        foreach (var name in new[] { "ada", "ben", "cy", "dee" }) learners.Add(await web.CreateUserAsync($"{name}-{tag}@edu.test", "learner"));

        var cohortName = $"Algebra {tag}";
        var cohort = (await Json.ReadAsync(await admin.PostAsJsonAsync("/api/v1/cohorts", new { name = cohortName, description = "Tuesday mornings" })))
            .GetProperty("id").GetGuid();
        await Succeeds(admin.PutAsJsonAsync($"/api/v1/cohorts/{cohort}/members/{educator}", new { role = "educator" }));
        foreach (var learner in learners) await Succeeds(admin.PutAsJsonAsync($"/api/v1/cohorts/{cohort}/members/{learner}", new { role = "learner" }));

        // The catalog's skills and rubric are arranged directly (they are not what this class is about); the path through the API.
        var skill = await Catalog.SkillAsync(web, await Catalog.FrameworkAsync(web, "fw-" + tag), "fractions-" + tag);
        var (rubric, criterion) = await Catalog.RubricAsync(web, skill, 3, 4, 3, 2, 1);
        var lesson = (await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/content/items", new { key = "lesson-" + tag, kind = "lesson", title = "Lesson" })))
            .GetProperty("id").GetGuid();
        var created = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "algebra-" + tag, title = "Fractions first " + tag }));
        var path = created.GetProperty("id").GetGuid();
        var draft = created.GetProperty("versions")[0].GetProperty("id").GetGuid();
        var steps = new object[]
        {
            new { key = "intro", kind = "content", refId = lesson, title = "Introduction", prerequisites = Array.Empty<string>() },
            new { key = "practice", kind = "content", refId = lesson, title = "Practice", prerequisites = new[] { "intro" } },
            new { key = "fractions", kind = "skill", refId = skill, title = "Fractions", prerequisites = new[] { "practice" } },
        };
        var version = $"/api/v1/paths/{path}/versions/{draft}";
        await Succeeds(author.SendJsonAsync(HttpMethod.Put, version + "/steps", new { steps }, await author.ETagAsync(version)));
        await Succeeds(author.PostAsync(version + "/publish", null));

        // Ada has done the introduction and started practice, Ben started the introduction, Cy only enrolled, Dee did not.
        for (var i = 0; i < 3; i++)
        {
            var client = web.Api.ClientFor($"test|{new[] { "ada", "ben", "cy" }[i]}-{tag}@edu.test");
            var enrollment = (await Json.ReadAsync(await client.PostAsJsonAsync($"/api/v1/learners/{learners[i]}/enrollments", new { pathId = path })))
                .GetProperty("id").GetGuid();
            var stepsUrl = $"/api/v1/learners/{learners[i]}/enrollments/{enrollment}/steps";
            if (i == 0)
            {
                await Succeeds(client.PostAsync(stepsUrl + "/intro/complete", null));
                await Succeeds(client.PostAsync(stepsUrl + "/practice/start", null));
            }
            else if (i == 1)
            {
                await Succeeds(client.PostAsync(stepsUrl + "/intro/start", null));
            }
        }

        // The educator rates Ada's and Ben's work: evidence, hence mastery, through the API.
        var teacher = web.Api.ClientFor($"test|teacher-{tag}@edu.test");
        // Four top ratings take Ada past mastery (BKT from its prior); Ben's one low rating leaves him short of it.
        object Rating(int points) => new { rubricId = rubric, ratings = new[] { new { criterionId = criterion, points } } };
        for (var i = 0; i < 4; i++) await Succeeds(teacher.PostAsJsonAsync($"/api/v1/learners/{learners[0]}/rubric-assessments", Rating(4)));
        await Succeeds(teacher.PostAsJsonAsync($"/api/v1/learners/{learners[1]}/rubric-assessments", Rating(1)));
        return new Class(tag, cohort, cohortName, path, educator, other, learners[0], learners[1], learners[2], skill);
    }

    async Task<HttpClient> ClientAsync(string email, string role)
    {
        await web.CreateUserAsync(email, role);
        return web.Api.ClientFor("test|" + email);
    }

    static async Task Succeeds(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A learner's row (by name) of the page's heat map or gradebook.</summary>
    static ILocator Row(IPage page, string learner) =>
        page.Locator("table.heat tbody tr", new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = learner, Exact = true }) });

    /// <summary>The heat map's cell of a learner (by name) and a step (by its column, counted from the first step).</summary>
    static ILocator Cell(IPage page, string learner, int step) => Row(page, learner).Locator("td").Nth(1 + step);

    [Fact]
    public async Task An_educator_skips_a_step_for_a_learner_and_sees_the_heat_map_change()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.Educator);

        await page.GetByRole(AriaRole.Link, new() { Name = "Cohorts" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = c.CohortName }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Fractions first " + c.Tag }).ClickAsync();
        Assert.Equal($"/cohorts/{c.Cohort}/paths/{c.Path}", new Uri(page.Url).AbsolutePath);
        Assert.Equal("Progress on Fractions first " + c.Tag, await page.Locator("h1").InnerTextAsync());
        // Every cell says its status in words; its shade follows the status.
        Assert.Equal("completed", (await Cell(page, $"ada-{c.Tag}", 0).InnerTextAsync()).Trim());
        Assert.Equal("in progress", (await Cell(page, $"ada-{c.Tag}", 1).InnerTextAsync()).Trim());
        Assert.Equal("in progress", (await Cell(page, $"ben-{c.Tag}", 0).InnerTextAsync()).Trim());
        Assert.Equal("locked", (await Cell(page, $"ben-{c.Tag}", 1).InnerTextAsync()).Trim());
        Assert.Equal("heat-0", await Cell(page, $"ben-{c.Tag}", 1).GetAttributeAsync("class"));
        Assert.Equal(0, await page.GetByRole(AriaRole.Rowheader, new() { Name = $"dee-{c.Tag}" }).CountAsync());
        Assert.Contains("Fractions first", await page.Locator("table.heat caption").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(["Learner", "Steps done", "Introduction", "Practice", "Fractions"],
            (await page.Locator("table.heat thead th[scope=col]").AllInnerTextsAsync()).Select(t => t.Trim()));
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "educator-heatmap");

        await page.GetByRole(AriaRole.Link, new() { Name = $"ben-{c.Tag}" }).ClickAsync();
        await page.Locator("#skip-step").SelectOptionAsync("practice");
        await page.Locator("#skip-reason").FillAsync("Showed it in class");
        await page.GetByRole(AriaRole.Button, new() { Name = "Skip", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("applied=skip", StringComparison.Ordinal));
        Assert.Equal("The override was applied and recorded.", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        var audit = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail" }) });
        var entry = await audit.Locator("tbody tr").First.InnerTextAsync();
        Assert.Contains("Showed it in class", entry, StringComparison.Ordinal);
        Assert.Contains("practice", entry, StringComparison.Ordinal);
        Assert.Contains("you", entry, StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "educator-overrides");

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the heat map" }).ClickAsync();
        Assert.Equal("skipped", (await Cell(page, $"ben-{c.Tag}", 1).InnerTextAsync()).Trim());
        Assert.Equal("heat-3", await Cell(page, $"ben-{c.Tag}", 1).GetAttributeAsync("class"));
        Assert.Equal("1 of 3", (await Row(page, $"ben-{c.Tag}").Locator("td").First.InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task An_override_the_api_refuses_is_shown_with_the_field_it_names_and_records_nothing()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.Educator);
        await page.GotoAsync($"/cohorts/{c.Cohort}/paths/{c.Path}");
        await page.GetByRole(AriaRole.Link, new() { Name = $"cy-{c.Tag}" }).ClickAsync();
        var overridesUrl = page.Url;

        await page.Locator("#insert-title").FillAsync("Fractions again");
        await page.Locator("#insert-key").FillAsync("Not A Key");
        await page.Locator("#insert-ref").FillAsync(c.Skill.ToString());
        await page.Locator("#insert-kind").SelectOptionAsync("skill");
        await page.Locator("#insert-reason").FillAsync("Needs another go");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Insert" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        var alert = await page.GetByRole(AriaRole.Alert).InnerTextAsync();
        Assert.Contains("/step/key", alert, StringComparison.Ordinal);
        Assert.Equal("true", await page.Locator("#insert-key").GetAttributeAsync("aria-invalid"));
        // What was typed stays, so the educator corrects the one field.
        Assert.Equal("Fractions again", await page.Locator("#insert-title").InputValueAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        Assert.Equal(0L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollment_overrides WHERE learner_id = $1", c.Cy));

        // Corrected, the same form inserts the step, and the learner's path shows it.
        await page.Locator("#insert-key").FillAsync("fractions-again");
        await page.GetByRole(AriaRole.Button, new() { Name = "Insert" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("applied=insert", StringComparison.Ordinal));
        Assert.StartsWith(overridesUrl.Split('?')[0], page.Url, StringComparison.Ordinal);
        Assert.Equal(1, await page.GetByRole(AriaRole.Rowheader, new() { Name = "Fractions again (inserted)" }).CountAsync());
        Assert.Equal(1L, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.enrollment_overrides WHERE learner_id = $1 AND kind = 'insert'", c.Cy));
    }

    [Fact]
    public async Task The_gradebook_shows_mastery_per_learner_and_skill_and_downloads_it_as_csv()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.Educator);
        await page.GotoAsync($"/cohorts/{c.Cohort}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Learning-mastery gradebook" }).ClickAsync();

        Assert.Contains($"fractions-{c.Tag}", await page.Locator("table.heat thead").InnerTextAsync(), StringComparison.Ordinal);
        var ada = await Row(page, $"ada-{c.Tag}").Locator("td").First.InnerTextAsync();
        var ben = await Row(page, $"ben-{c.Tag}").Locator("td").First.InnerTextAsync();
        var cy = await Row(page, $"cy-{c.Tag}").Locator("td").First.InnerTextAsync();
        Assert.Contains("mastered", ada, StringComparison.Ordinal);
        Assert.DoesNotContain("mastered", ben, StringComparison.Ordinal);
        Assert.Contains("no evidence yet", cy, StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "educator-gradebook");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download as CSV (every learner)" }).ClickAsync());
        Assert.Equal($"mastery-gradebook-{c.Cohort}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains($"fractions-{c.Tag}", csv, StringComparison.Ordinal);
        foreach (var name in new[] { "ada", "ben", "cy", "dee" }) Assert.Contains($"{name}-{c.Tag}", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cohort_list_and_page_show_what_the_educator_teaches_and_learners_at_risk()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.Educator);
        await page.GotoAsync("/cohorts");
        Assert.Equal(1, await page.GetByRole(AriaRole.Link, new() { Name = c.CohortName }).CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "educator-cohorts");

        await page.GetByRole(AriaRole.Link, new() { Name = c.CohortName }).ClickAsync();
        Assert.Equal(c.CohortName, await page.Locator("h1").InnerTextAsync());
        // Dee never enrolled and has no evidence: idle since ever, so at risk; Ada was just rated, so she is not.
        var atRisk = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Learners at risk" }) });
        Assert.Equal(1, await atRisk.GetByRole(AriaRole.Rowheader, new() { Name = $"dee-{c.Tag}" }).CountAsync());
        Assert.Equal(0, await atRisk.GetByRole(AriaRole.Rowheader, new() { Name = $"ada-{c.Tag}" }).CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "educator-cohort");
    }

    [Fact]
    public async Task A_learner_opening_the_cohorts_is_sent_to_the_forbidden_page()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.Ada);
        var response = await page.GotoAsync("/cohorts");
        Assert.Equal("/forbidden", new Uri(page.Url).AbsolutePath);
        Assert.Equal(403, response!.Status);
        Assert.Equal("Not allowed", await page.Locator("h1").InnerTextAsync());
        Assert.Equal(403, (await page.GotoAsync($"/cohorts/{c.Cohort}/paths/{c.Path}"))!.Status);
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Cohorts" }).CountAsync());
    }

    [Fact]
    public async Task An_educator_cannot_see_a_cohort_they_do_not_teach()
    {
        var c = await ClassAsync();
        var page = await web.SignInAsync(c.OtherEducator);
        await page.GotoAsync("/cohorts");
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = c.CohortName }).CountAsync());

        foreach (var url in new[]
        {
            $"/cohorts/{c.Cohort}", $"/cohorts/{c.Cohort}/paths/{c.Path}", $"/cohorts/{c.Cohort}/gradebook",
            $"/cohorts/{c.Cohort}/learners/{c.Ben}/enrollments/{Guid.NewGuid()}",
        })
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            Assert.Equal("Not found", await page.Locator("h1").InnerTextAsync());
            var html = await page.ContentAsync();
            Assert.DoesNotContain(c.CohortName, html, StringComparison.Ordinal);
            Assert.DoesNotContain($"ben-{c.Tag}", html, StringComparison.Ordinal);
        }

        // The CSV is refused the same way: the API decides.
        var csv = await page.APIRequest.GetAsync($"/download/api/v1/cohorts/{c.Cohort}/mastery-gradebook");
        Assert.Equal(404, csv.Status);
    }
}

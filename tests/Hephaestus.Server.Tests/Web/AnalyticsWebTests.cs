using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Server.Tests.Content;
using Hephaestus.Testing;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// The web app with what the analyst views show: six learners of one cohort answer a quiz of three items through the API,
/// A (everyone right), B (a short text only learners 1 to 3 get right) and C (a choice only learners 4 and 5 get right,
/// against the rest of the test: it discriminates the wrong way and is flagged); a content item has one version.
/// </summary>
public sealed class AnalyticsWebApp : WebApp
{
    public Guid Analyst { get; private set; }
    public Guid Quiz { get; private set; }
    public Guid ItemVersionA { get; private set; }
    public Guid Cohort { get; private set; }
    public Guid ContentItem { get; private set; }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Analyst = await CreateUserAsync("web-analyst@example.org", "analyst");
        await CreateUserAsync("web-analytics-author@example.org", "author");
        var author = Api.ClientFor("test|web-analytics-author@example.org");
        var skill = await Catalog.SkillAsync(this, await Catalog.FrameworkAsync(this, "fw-web-analytics"), "web-capitals");
        object[] skills = [new { skillId = skill, weight = 1 }];
        async Task<JsonElement> ItemAsync(object definition)
        {
            var response = await author.PostAsJsonAsync("/api/v1/items", new { definition, skills });
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return await Json.ReadAsync(response);
        }

        var a = await ItemAsync(new { type = "single_choice", prompt = "A", points = 1, correctOptionId = "b", options = new[] { new { id = "a", text = "Lyon" }, new { id = "b", text = "Paris" } } });
        ItemVersionA = a.GetProperty("versionId").GetGuid();
        var b = await ItemAsync(new { type = "short_text", prompt = "B", points = 1, acceptedAnswers = new[] { "paris" } });
        var c = await ItemAsync(new { type = "single_choice", prompt = "C", points = 1, correctOptionId = "a", options = new[] { new { id = "a", text = "Rome" }, new { id = "b", text = "Milan" } } });
        var versionC = c.GetProperty("versionId").GetGuid();
        var created = await author.PostAsJsonAsync("/api/v1/assessments", new
        {
            title = "Capitals quiz",
            parts = new[] { a, b, c }.Select(item => new { itemId = item.GetProperty("itemId").GetGuid() }).ToArray(),
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        Quiz = (await Json.ReadAsync(created)).GetProperty("id").GetGuid();

        Cohort = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'Web cohort')", Cohort);
        for (var i = 1; i <= 6; i++)
        {
            var email = $"web-analytics-l{i}@example.org";
            var learner = await CreateUserAsync(email, "learner");
            await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", Cohort, learner);
            var client = Api.ClientFor("test|" + email);
            var started = await client.PostAsync($"/api/v1/assessments/{Quiz}/attempts", null);
            Assert.True(started.StatusCode == HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
            var attempt = await Json.ReadAsync(started);
            var versions = attempt.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemVersionId").GetGuid()).ToList();
            var versionB = versions.Single(v => v != ItemVersionA && v != versionC);
            var responses = new Dictionary<Guid, object>
            {
                [ItemVersionA] = new { optionId = "b" }, [versionB] = new { text = i <= 3 ? "Paris" : "Rome" }, [versionC] = new { optionId = i is 4 or 5 ? "a" : "b" },
            };
            var submitted = await client.PostAsJsonAsync($"/api/v1/learners/{learner}/attempts/{attempt.GetProperty("id").GetGuid()}/submit", new { responses });
            Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
        }

        ContentItem = await ContentWorld.ItemAsync(author);
        await ContentWorld.VersionAsync(author, ContentItem, ContentWorld.Human(await ContentWorld.BodyAsync(author, "a lesson on capitals"u8.ToArray())));
    }
}

/// <summary>The analyst views: the index, an assessment's item analysis with its CSV, content-version effectiveness and the rollups.</summary>
public sealed class AnalyticsWebTests(AnalyticsWebApp web) : IClassFixture<AnalyticsWebApp>
{
    [Fact]
    public async Task An_analyst_opens_the_item_analysis_and_downloads_it_as_csv()
    {
        var page = await web.SignInAsync(web.Analyst);
        await page.GotoAsync("/analytics");
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await page.GetByRole(AriaRole.Link, new() { Name = "Capitals quiz" }).ClickAsync();
        await page.WaitForURLAsync($"**/analytics/assessments/{web.Quiz}");
        Assert.Equal("Item analysis: Capitals quiz", await page.Locator("h1").InnerTextAsync());
        var statistics = ContentWebTests.Panel(page, "statistics");
        Assert.Equal("6", await statistics.Locator("dl dd").Nth(1).InnerTextAsync());
        var items = statistics.Locator("table:not(details table) tbody tr");
        Assert.Equal(3, await items.CountAsync());
        // The flagged items are marked in words (not by colour alone): exactly those the API flags.
        var analysis = await Json.ReadAsync(await web.Api.ClientFor("test|web-analyst@example.org").GetAsync($"/api/v1/analytics/assessments/{web.Quiz}/item-analysis"));
        var flagged = analysis.GetProperty("data").GetProperty("items").EnumerateArray().Count(i => i.GetProperty("flagged").GetBoolean());
        Assert.True(flagged > 0);
        Assert.Equal(flagged, await items.Locator("text=Flagged: discriminates poorly").CountAsync());
        // The chart's numbers are one click away.
        await statistics.Locator("details summary").ClickAsync();
        Assert.Contains("100.0", await statistics.Locator("details table").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "analyst-item-analysis");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(await download.PathAsync());
        Assert.StartsWith("item_version_id,item_id,version,type,points,attempts,facility,", lines[0], StringComparison.Ordinal);
        var rowA = lines.Skip(1).Select(l => l.Split(',')).Single(cells => cells[0] == web.ItemVersionA.ToString());
        Assert.Equal("6", rowA[5]);
        Assert.Equal(100, double.Parse(rowA[6], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(4, lines.Length);

        // A refused download is the API's problem passed on, not a failure of the web app.
        var missing = await page.APIRequest.GetAsync($"/download/api/v1/analytics/assessments/{Guid.NewGuid()}/item-analysis");
        Assert.Equal(404, missing.Status);
        Assert.Contains("application/problem+json", missing.Headers["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_analyst_sees_content_effectiveness_with_its_recommendation()
    {
        var page = await web.SignInAsync(web.Analyst);
        var response = await page.GotoAsync($"/analytics/content/{web.ContentItem}");
        Assert.Equal(200, response!.Status);
        Assert.Contains("Not enough evidence yet", await ContentWebTests.Panel(page, "recommendation").InnerTextAsync(), StringComparison.Ordinal);
        var versions = ContentWebTests.Panel(page, "versions");
        Assert.Contains("Version 1", await versions.Locator("table:not(details table)").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await versions.Locator("figure details table").CountAsync());
        Assert.Equal(2, await page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "analyst-effectiveness");
    }

    [Fact]
    public async Task An_analyst_chooses_a_cohort_and_sees_its_rollups()
    {
        var page = await web.SignInAsync(web.Analyst);
        await page.GotoAsync("/analytics/performance");
        Assert.Contains("Choose a cohort", await page.Locator("#main").InnerTextAsync(), StringComparison.Ordinal);
        // Analysts list no cohorts (row-level security shows cohorts to their members and admins): they name one by id.
        await page.GetByLabel("Cohort (its id)").FillAsync(web.Cohort.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"cohortId={web.Cohort}", StringComparison.Ordinal));

        var mastery = ContentWebTests.Panel(page, "mastery-per-skill");
        Assert.Contains("web-capitals", await mastery.Locator("figure details table").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Equal(1, await mastery.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).CountAsync());
        var csv = await page.APIRequest.GetAsync(await mastery.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).GetAttributeAsync("href") ?? "");
        Assert.Equal(200, csv.Status);
        Assert.Contains("web-capitals", await csv.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(2, await ContentWebTests.Panel(page, "progress-per-week").Locator("figure").CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "analyst-rollups");

        // An id field takes any text: what is no id asks for nothing.
        Assert.Equal(200, (await page.GotoAsync("/analytics/performance?cohortId=nonsense&path=nothing"))!.Status);
        Assert.Contains("Choose a cohort", await page.Locator("#main").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_learner_opening_the_analyst_pages_is_refused()
    {
        var learner = await web.CreateUserAsync("analytics-learner@example.org", "learner");
        var page = await web.SignInAsync(learner);
        foreach (var path in new[] { "/analytics", $"/analytics/assessments/{Guid.NewGuid()}", $"/analytics/content/{Guid.NewGuid()}", "/analytics/performance" })
        {
            var response = await page.GotoAsync(path);
            Assert.True(response!.Status == 403, $"{path}: {response.Status}");
            Assert.Equal("Not allowed", await page.Locator("h1").InnerTextAsync());
        }
    }
}

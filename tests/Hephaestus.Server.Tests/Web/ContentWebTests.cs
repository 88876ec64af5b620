using System.Net;
using System.Net.Http.Json;
using System.Text;
using Hephaestus.Server.Tests.Content;
using Hephaestus.Server.Tests.ContentReview;
using Hephaestus.Testing;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// The author and reviewer views: the review queue, a content version with its quality, the publish gate's verdict,
/// lineage and the review moves as forms, and the item bank. Content is arranged through the API as its author.
/// </summary>
public sealed class ContentWebTests(WebApp web) : IClassFixture<WebApp>
{
    /// <summary>A human-written version of a new item, submitted for review by its author; scored by the reviewer as given.</summary>
    async Task<(Guid Item, Guid Version)> InReviewAsync(HttpClient author, HttpClient reviewer, string text, object scores)
    {
        var item = await ContentWorld.ItemAsync(author);
        var body = await ContentWorld.BodyAsync(author, Encoding.UTF8.GetBytes(text));
        var version = (await ContentWorld.VersionAsync(author, item, ContentWorld.Human(body))).GetProperty("id").GetGuid();
        await ContentRows.OkJsonAsync(await ContentRows.MoveNowAsync(author, version, "in_review"));
        Assert.Equal(HttpStatusCode.Created, (await ContentRows.ScoreAsync(reviewer, version, scores)).StatusCode);
        return (item, version);
    }

    static object Failing => new[] { new { dimension = "accuracy", score = 1m, rationale = "wrong" }, new { dimension = "safety_bias", score = 5m, rationale = "safe" } };

    /// <summary>A page's panel (a section labelled by its heading), or something inside it.</summary>
    internal static ILocator Panel(IPage page, string slug, string? inside = null)
    {
        var panel = page.Locator($"section[aria-labelledby='panel-{slug}']");
        return inside is null ? panel : panel.Locator(inside);
    }

    static async Task<IResponse> MoveAsync(IPage page, string action) =>
        await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = action, Exact = true }).ClickAsync(),
            r => r.Request.Method == "POST");

    [Fact]
    public async Task A_reviewer_publishes_a_version_that_passes_the_gate_and_is_refused_one_that_fails()
    {
        await web.CreateUserAsync("gate-author@example.org", "author");
        var reviewerId = await web.CreateUserAsync("gate-reviewer@example.org", "reviewer");
        var author = web.Api.ClientFor("test|gate-author@example.org");
        var reviewer = web.Api.ClientFor("test|gate-reviewer@example.org");
        var (_, good) = await InReviewAsync(author, reviewer, "a good lesson", ContentRows.Passing);
        var (_, bad) = await InReviewAsync(author, reviewer, "a wrong lesson", Failing);

        var page = await web.SignInAsync(reviewerId);
        await page.GotoAsync("/content/review");
        var queue = await page.Locator("#main table").InnerTextAsync();
        Assert.Contains("Fractions, version 1", queue, StringComparison.Ordinal);
        Assert.Contains("Written by a person", queue, StringComparison.Ordinal);
        Assert.Contains("accuracy: 75%", queue, StringComparison.Ordinal);
        Assert.Contains("accuracy: 0%", queue, StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "content-review-queue");

        // The version that passes: the gate says so before anyone tries; approve, then publish, through the page's forms.
        await page.Locator($"a[href='/content/versions/{good}']").ClickAsync();
        await page.WaitForURLAsync($"**/content/versions/{good}");
        Assert.Contains("Passes", await Panel(page, "publish-gate").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(302, (await MoveAsync(page, "Approve")).Status);
        await page.WaitForURLAsync(url => url.EndsWith($"/content/versions/{good}?moved=approved", StringComparison.Ordinal));
        Assert.Equal(302, (await MoveAsync(page, "Publish")).Status);
        await page.WaitForURLAsync(url => url.EndsWith($"/content/versions/{good}?moved=published", StringComparison.Ordinal));
        Assert.Equal("published", await ContentRows.StatusAsync(web, good));
        Assert.Contains("Status: published", await Panel(page, "review").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("in review", await Panel(page, "review", "table").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "content-version");

        // The version that fails: the gate names why before; approving works, publishing is refused and the page shows why.
        await page.GotoAsync($"/content/versions/{bad}");
        var verdict = await Panel(page, "publish-gate").InnerTextAsync();
        Assert.Contains("Fails", verdict, StringComparison.Ordinal);
        Assert.Contains("accuracy is 0 (threshold 0.6)", verdict, StringComparison.Ordinal);
        Assert.Equal(302, (await MoveAsync(page, "Approve")).Status);
        await page.WaitForURLAsync(url => url.EndsWith($"/content/versions/{bad}?moved=approved", StringComparison.Ordinal));
        var refused = await MoveAsync(page, "Publish");
        Assert.Equal(409, refused.Status);
        var alert = await Panel(page, "review", "[role=alert]").InnerTextAsync();
        Assert.Contains("Publish gate refused", alert, StringComparison.Ordinal);
        Assert.Contains("accuracy is 0 (threshold 0.6)", alert, StringComparison.Ordinal);
        Assert.Equal("approved", await ContentRows.StatusAsync(web, bad));
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
    }

    [Fact]
    public async Task A_rejection_without_a_reason_is_refused_with_the_field_named_and_one_with_a_reason_goes_back_to_draft()
    {
        await web.CreateUserAsync("reject-author@example.org", "author");
        var reviewerId = await web.CreateUserAsync("reject-reviewer@example.org", "reviewer");
        var author = web.Api.ClientFor("test|reject-author@example.org");
        var (_, version) = await InReviewAsync(author, web.Api.ClientFor("test|reject-reviewer@example.org"), "a lesson to reject", ContentRows.Passing);

        var page = await web.SignInAsync(reviewerId);
        await page.GotoAsync($"/content/versions/{version}");
        Assert.Equal(400, (await MoveAsync(page, "Send back to draft")).Status);
        Assert.Contains("/reason", await Panel(page, "review", "[role=alert]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("in_review", await ContentRows.StatusAsync(web, version));

        await page.GetByLabel("Reason (required to send a version back to draft)").FillAsync("the example is unclear");
        Assert.Equal(302, (await MoveAsync(page, "Send back to draft")).Status);
        await page.WaitForURLAsync(url => url.EndsWith($"/content/versions/{version}?moved=draft", StringComparison.Ordinal));
        Assert.Equal("draft", await ContentRows.StatusAsync(web, version));
        Assert.Contains("the example is unclear", await Panel(page, "review", "table").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_page_shows_its_lineage_and_generated_provenance()
    {
        await web.CreateUserAsync("lineage-author@example.org", "author");
        var analyst = await web.CreateUserAsync("lineage-analyst@example.org", "analyst");
        var author = web.Api.ClientFor("test|lineage-author@example.org");
        var item = await ContentWorld.ItemAsync(author);
        var first = (await ContentWorld.VersionAsync(author, item, ContentWorld.Human(await ContentWorld.BodyAsync(author, "first"u8.ToArray()))))
            .GetProperty("id").GetGuid();
        var generated = (await ContentWorld.VersionAsync(author, item, new
        {
            body = new { sha256 = await ContentWorld.BodyAsync(author, "second"u8.ToArray()) }, mediaType = "text/markdown", regeneratedFrom = first,
            provenance = new { origin = "generated", model = "gpt-web-test", promptTemplate = new { id = "lesson", version = "3" }, tokens = new { input = 1200, output = 800 } },
        })).GetProperty("id").GetGuid();

        var page = await web.SignInAsync(analyst);
        var response = await page.GotoAsync($"/content/versions/{generated}");
        Assert.Equal(200, response!.Status);
        var version = await Panel(page, "version").InnerTextAsync();
        Assert.Contains("gpt-web-test", version, StringComparison.Ordinal);
        Assert.Contains("lesson v3", version, StringComparison.Ordinal);
        var lineage = await Panel(page, "lineage").InnerTextAsync();
        Assert.Contains("ancestor, 1 step(s) back", lineage, StringComparison.Ordinal);
        Assert.Equal(1, await Panel(page, "lineage").Locator($"a[href='/content/versions/{first}']").CountAsync());
        // An analyst reads but moves nothing: the page offers no review action.
        Assert.Equal(0, await page.Locator("form.transition").CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));

        // An id no version has is the API's 404, and the page's.
        Assert.Equal(404, (await page.GotoAsync($"/content/versions/{Guid.NewGuid()}"))!.Status);
    }

    [Fact]
    public async Task The_item_bank_lists_items_at_their_current_version_and_opens_earlier_versions()
    {
        var authorId = await web.CreateUserAsync("bank-author@example.org", "author");
        var author = web.Api.ClientFor("test|bank-author@example.org");
        var skill = await Catalog.SkillAsync(web, await Catalog.FrameworkAsync(web, "fw-web-bank"), "web-bank-skill");
        object[] skills = [new { skillId = skill, weight = 1 }];
        object Definition(string prompt) => new
        {
            type = "single_choice", prompt, points = 1, correctOptionId = "b",
            options = new[] { new { id = "a", text = "Lyon" }, new { id = "b", text = "Paris" } },
        };
        var created = await author.PostAsJsonAsync("/api/v1/items", new { code = "web-bank-capital", definition = Definition("Capital of France?"), skills, tags = new[] { "geography" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var itemId = (await Json.ReadAsync(created)).GetProperty("itemId").GetGuid();
        var edited = await author.PutAsJsonAsync($"/api/v1/items/{itemId}", new { definition = Definition("What is the capital of France?"), skills, tags = new[] { "geography" } });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await author.PostAsJsonAsync("/api/v1/items", new { code = "web-bank-other", definition = Definition("Capital of Italy?"), skills })).StatusCode);

        var page = await web.SignInAsync(authorId);
        await page.GotoAsync("/items?tag=geography");
        var rows = Panel(page, "items", "tbody tr");
        Assert.Equal(1, await rows.CountAsync());
        var row = await rows.InnerTextAsync();
        Assert.Contains("web-bank-capital", row, StringComparison.Ordinal);
        Assert.Contains("What is the capital of France?", row, StringComparison.Ordinal);
        Assert.Contains("2", row, StringComparison.Ordinal);
        await page.GotoAsync("/items");
        Assert.Equal(2, await Panel(page, "items", "tbody tr").CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "item-bank");

        await page.GetByRole(AriaRole.Link, new() { Name = "web-bank-capital" }).ClickAsync();
        await page.WaitForURLAsync($"**/items/{itemId}");
        Assert.Equal("Item web-bank-capital, version 2", await page.Locator("h1").InnerTextAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Version 1" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"/items/{itemId}?version=1", StringComparison.Ordinal));
        Assert.Equal("Item web-bank-capital, version 1", await page.Locator("h1").InnerTextAsync());
        Assert.Contains("Capital of France?", await Panel(page, "item-version").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await page.GetByRole(AriaRole.Link, new() { Name = "Version 2" }).CountAsync());
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
    }

    [Fact]
    public async Task A_learner_opening_the_content_pages_is_refused()
    {
        var learner = await web.CreateUserAsync("content-learner@example.org", "learner");
        var page = await web.SignInAsync(learner);
        foreach (var path in new[] { "/content/review", $"/content/versions/{Guid.NewGuid()}", "/items", $"/items/{Guid.NewGuid()}" })
        {
            var response = await page.GotoAsync(path);
            Assert.True(response!.Status == 403, $"{path}: {response.Status}");
            Assert.Equal("Not allowed", await page.Locator("h1").InnerTextAsync());
        }
    }
}

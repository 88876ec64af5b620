using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.RegularExpressions;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// What every page promises beyond its content: little script (none needed), the data in the first HTML, working with
/// script turned off, and forms that refuse a post without the page's anti-forgery token.
/// </summary>
public sealed partial class WebQualitiesTests(WebApp web) : IClassFixture<WebApp>
{
    const int ScriptBudgetBytes = 200 * 1024;

    [Fact]
    public async Task No_page_loads_more_than_200_KB_of_script_and_none_loads_a_framework_script()
    {
        var admin = await web.CreateUserAsync("budget@example.org", "learner", "educator", "author", "reviewer", "analyst", "admin");
        var page = await web.SignInAsync(admin);
        var scripts = new List<IResponse>();
        page.Response += (_, response) =>
        {
            if (response.Request.ResourceType == "script") scripts.Add(response);
        };

        var addresses = PageAddresses(admin).ToList();
        Assert.Contains("/", addresses);
        Assert.Contains($"/learners/{admin}", addresses);
        foreach (var address in addresses)
        {
            scripts.Clear();
            await page.GotoAsync(address, new() { WaitUntil = WaitUntilState.Load });
            var bytes = 0;
            foreach (var script in scripts) bytes += (await script.BodyAsync()).Length;

            // Every page loads app.js, so a measurement that saw no script would be measuring nothing.
            Assert.Contains(scripts, s => new Uri(s.Url).AbsolutePath == "/app.js");
            Assert.True(bytes <= ScriptBudgetBytes, $"{address} loads {bytes} bytes of script: {string.Join(", ", scripts.Select(s => s.Url))}");
            Assert.DoesNotContain(scripts, s => s.Url.Contains("/_framework/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_first_html_of_a_page_already_holds_its_panels_data()
    {
        var learner = await web.CreateUserAsync("first-paint@example.org", "learner");
        await LearnerMastery.ArrangeAsync(web, learner, "first-paint-skill");
        var page = await web.SignInAsync(learner);

        // The document as the server sent it, before any script could run (the browser's cookies, no rendering).
        var response = await page.APIRequest.GetAsync($"/learners/{learner}");
        var html = await response.TextAsync();

        Assert.Equal(200, response.Status);
        var panel = MasteryPanel().Match(html);
        Assert.True(panel.Success, html);
        Assert.Contains(">first-paint-skill</a>", panel.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_script_turned_off_a_user_signs_in_reads_their_pages_and_signs_out()
    {
        var learner = await web.CreateUserAsync("no-script@example.org", "learner");
        await LearnerMastery.ArrangeAsync(web, learner, "no-script-skill");
        var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = web.BaseUrl.ToString(),
            Locale = "en-GB",
            JavaScriptEnabled = false,
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync($"/sign-in/link/{await web.LinkAsync(learner)}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(web.BaseUrl, "/").ToString());
        Assert.Equal("Welcome, no-script", await page.Locator("h1").InnerTextAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "My learning" }).First.ClickAsync();
        await page.WaitForURLAsync(new Uri(web.BaseUrl, $"/learners/{learner}").ToString());
        Assert.Equal(1, await page.GetByRole(AriaRole.Row).Filter(new() { HasText = "no-script-skill" }).CountAsync());

        await page.GetByRole(AriaRole.Link, new() { Name = "My account" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(web.BaseUrl, "/account").ToString());
        Assert.Contains("no-script@example.org", await page.Locator("dl.facts").InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/sign-in?signedOut=true", StringComparison.Ordinal));
        Assert.Equal("You are signed out.", await page.GetByRole(AriaRole.Status).InnerTextAsync());
    }

    [Fact]
    public async Task A_page_form_posted_without_its_own_anti_forgery_token_is_refused()
    {
        var learner = await web.CreateUserAsync("forged-form@example.org", "learner");
        var code = await web.LinkAsync(learner);
        var page = await web.AnonymousPageAsync();
        await page.GotoAsync($"/sign-in/link/{code}");

        // The form's handler name without the token, as another site's form would post it.
        var bare = await page.APIRequest.PostAsync($"/sign-in/link/{code}", new() { Form = page.APIRequest.CreateFormData().Set("_handler", "sign-in-link") });
        // A real token, but another browser's: it is bound to that browser's cookie.
        var other = await web.AnonymousPageAsync();
        await other.GotoAsync($"/sign-in/link/{code}");
        var othersToken = await other.Locator("input[name='__RequestVerificationToken']").GetAttributeAsync("value");
        var crossed = await page.APIRequest.PostAsync($"/sign-in/link/{code}", new()
        {
            Form = page.APIRequest.CreateFormData().Set("_handler", "sign-in-link").Set("__RequestVerificationToken", othersToken!),
        });

        Assert.Equal((int)HttpStatusCode.BadRequest, bare.Status);
        Assert.Equal((int)HttpStatusCode.BadRequest, crossed.Status);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "hephaestus.session");
        Assert.Equal(1, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.web_sign_in_links WHERE user_id = $1 AND redeemed_at IS NULL", learner));

        // The page's own form, with its token, still signs in: the refusals spent nothing.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(web.BaseUrl, "/").ToString());
        Assert.Equal("Welcome, forged-form", await page.Locator("h1").InnerTextAsync());
    }

    /// <summary>
    /// Every page the web app routes (its components' @page templates), with ids filled in with the user's own (pages
    /// of other subjects answer their refusal or "not found", which is a page too).
    /// </summary>
    static IEnumerable<string> PageAddresses(Guid userId) => typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(IComponent).IsAssignableFrom(t))
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
        .Select(route => RouteParameter().Replace(route.Template, m => m.Groups["constraint"].Value switch
        {
            "guid" => userId.ToString(),
            "int" or "long" => "404",
            _ => "x",
        }))
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"\{\**(?<name>\w+)(:(?<constraint>\w+))?\??\}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"<section class=""panel"" aria-labelledby=""panel-mastery"">.*?</section>", RegexOptions.Singleline)]
    private static partial Regex MasteryPanel();
}

/// <summary>A learner with mastery of one skill, scored through the API by an admin with a rubric.</summary>
internal static class LearnerMastery
{
    /// <returns>The mastery value the API holds for the learner's skill.</returns>
    public static async Task<double> ArrangeAsync(WebApp web, Guid learner, string skillCode)
    {
        var framework = await Catalog.FrameworkAsync(web, "fw-" + skillCode);
        var skill = await Catalog.SkillAsync(web, framework, skillCode);
        var (rubric, criterion) = await Catalog.RubricAsync(web, skill, 4, 4, 3, 2, 1);
        var adminEmail = $"scorer-{skillCode}@example.org";
        await web.CreateUserAsync(adminEmail, "admin");
        var admin = web.Api.ClientFor("test|" + adminEmail);

        var scored = await admin.PostAsJsonAsync($"/api/v1/learners/{learner}/rubric-assessments",
            new { rubricId = rubric, ratings = new[] { new { criterionId = criterion, points = 3 } } });
        Assert.True(scored.StatusCode == HttpStatusCode.Created, await scored.Content.ReadAsStringAsync());

        var mastery = await Json.ReadAsync(await admin.GetAsync($"/api/v1/learners/{learner}/mastery"));
        return mastery.EnumerateArray().Single(m => m.GetProperty("skillId").GetGuid() == skill).GetProperty("value").GetDouble();
    }
}

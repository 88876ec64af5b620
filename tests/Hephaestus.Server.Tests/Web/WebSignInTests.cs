using System.Net;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>Signing in to the web app with a one-time link, the session it gives, and what every page promises.</summary>
public sealed class WebSignInTests(WebApp web) : IClassFixture<WebApp>
{
    [Fact]
    public async Task A_link_signs_its_user_in_once_and_never_again()
    {
        var learner = await web.CreateUserAsync("link-once@example.org", "learner");
        var code = await web.LinkAsync(learner);

        var first = await web.AnonymousPageAsync();
        await first.GotoAsync($"/sign-in/link/{code}");
        await first.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await first.WaitForURLAsync(new Uri(web.BaseUrl, "/").ToString());
        Assert.Contains("Welcome, link-once", await first.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);

        var second = await web.AnonymousPageAsync();
        await second.GotoAsync($"/sign-in/link/{code}");
        var refused = await second.RunAndWaitForResponseAsync(
            () => second.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            r => r.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("cannot be used", await second.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        // Not signed in: the start page sends this browser to sign in.
        await second.GotoAsync("/");
        Assert.EndsWith("/sign-in?ReturnUrl=%2F", second.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_link_signs_nobody_in()
    {
        var learner = await web.CreateUserAsync("link-expired@example.org", "learner");
        var code = await web.LinkAsync(learner);
        await web.ExecuteAsync("UPDATE hephaestus.web_sign_in_links SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 minute' WHERE user_id = $1", learner);

        var page = await web.AnonymousPageAsync();
        await page.GotoAsync($"/sign-in/link/{code}");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.Forbidden, response.Status);
        Assert.Equal(1, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.web_sign_in_links WHERE user_id = $1 AND redeemed_at IS NULL", learner));
    }

    [Fact]
    public async Task A_learner_who_edits_the_url_to_another_learners_id_is_refused()
    {
        var learner = await web.CreateUserAsync("url-editor@example.org", "learner");
        var other = await web.CreateUserAsync("url-victim@example.org", "learner");
        var page = await web.SignInAsync(learner);

        var own = await page.GotoAsync($"/learners/{learner}");
        Assert.Equal(200, own!.Status);
        Assert.Equal("My learning", await page.Locator("h1").InnerTextAsync());

        // The API answers 404 for a learner the actor may not see (it does not say whether they exist); so does the page.
        var foreign = await page.GotoAsync($"/learners/{other}");
        Assert.Equal(404, foreign!.Status);
        Assert.Equal("Not found", await page.Locator("h1").InnerTextAsync());
        Assert.DoesNotContain("url-victim", await page.ContentAsync(), StringComparison.Ordinal);

        // An address no page answers is the same page.
        Assert.Equal(404, (await page.GotoAsync("/no-such-page"))!.Status);
        Assert.Equal("Not found", await page.Locator("h1").InnerTextAsync());
    }

    [Fact]
    public async Task Pages_forbid_inline_script_framing_and_caching()
    {
        var learner = await web.CreateUserAsync("headers@example.org", "learner");
        var page = await web.SignInAsync(learner);
        var response = await page.GotoAsync($"/learners/{learner}");
        var headers = await response!.AllHeadersAsync();

        var policy = headers["content-security-policy"];
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("no-store", headers["cache-control"], StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
        // The session cookie is out of reach of script.
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "hephaestus.session");
        Assert.True(session.HttpOnly);
    }

    [Fact]
    public async Task The_api_does_not_accept_the_session_cookie()
    {
        var learner = await web.CreateUserAsync("cookie-api@example.org", "learner");
        var page = await web.SignInAsync(learner);
        // The browser sends its cookies to /api too; without a bearer token the API refuses, so no other site can make a
        // signed-in browser call the API.
        var answer = await page.APIRequest.GetAsync("/api/v1/users/me");
        Assert.Equal(401, answer.Status);
    }

    [Fact]
    public async Task Sign_out_needs_the_pages_anti_forgery_token()
    {
        var learner = await web.CreateUserAsync("sign-out@example.org", "learner");
        var page = await web.SignInAsync(learner);
        var forged = await page.APIRequest.PostAsync("/sign-out", new() { Form = page.APIRequest.CreateFormData() });
        Assert.Equal(400, forged.Status);
        Assert.Equal(200, (await page.GotoAsync("/"))!.Status);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/sign-in", StringComparison.Ordinal));
        await page.GotoAsync("/");
        Assert.Contains("/sign-in", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sign_in_and_learner_pages_have_no_serious_accessibility_violations()
    {
        var anonymous = await web.AnonymousPageAsync();
        await anonymous.GotoAsync("/sign-in");
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(anonymous));

        var learner = await web.CreateUserAsync("axe-learner@example.org", "learner");
        var page = await web.SignInAsync(learner);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await page.GotoAsync($"/learners/{learner}");
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
    }
}

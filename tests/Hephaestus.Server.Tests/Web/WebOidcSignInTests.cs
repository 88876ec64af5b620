using System.Net;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>The web app configured for an identity provider (Auth:Authority, Web:Oidc:*): the test provider on 127.0.0.1.</summary>
public sealed class OidcWebApp : WebApp
{
    TestOpenIdProvider? _provider;

    public TestOpenIdProvider Provider => _provider ?? throw new InvalidOperationException("not initialised");

    protected override IReadOnlyDictionary<string, string?> ServiceSettings => new Dictionary<string, string?>
    {
        ["Auth:Authority"] = Provider.Issuer,
        // The test provider speaks plain HTTP on loopback; production keeps the default (HTTPS only).
        ["Auth:RequireHttpsMetadata"] = "false",
        ["Web:Oidc:ClientId"] = TestOpenIdProvider.ClientId,
        ["Web:Oidc:ClientSecret"] = TestOpenIdProvider.ClientSecret,
    };

    public override async ValueTask InitializeAsync()
    {
        _provider = await TestOpenIdProvider.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_provider is not null) await _provider.DisposeAsync();
    }
}

/// <summary>
/// Signing in to the web app in production's way: OpenID Connect authorization code flow with PKCE, end to end in the
/// browser against a real (small) provider, and the API taking the provider's access token.
/// </summary>
public sealed class WebOidcSignInTests(OidcWebApp web) : IClassFixture<OidcWebApp>
{
    [Fact]
    public async Task A_provider_user_with_an_account_signs_in_with_pkce_s256_and_sees_the_start_page()
    {
        var email = "oidc-learner@example.org";
        var learner = await web.CreateUserAsync(email, "learner");

        var page = await web.AnonymousPageAsync();
        await page.GotoAsync("/");
        Assert.EndsWith("/sign-in?ReturnUrl=%2F", page.Url, StringComparison.Ordinal);
        await SignInThroughProviderAsync(page, "test|" + email);

        Assert.Equal(new Uri(web.BaseUrl, "/").ToString(), page.Url);
        Assert.Equal("Welcome, oidc-learner", await page.Locator("h1").InnerTextAsync());
        // The pages call the API with the provider's access token: the learner's own page answers with their data.
        var own = await page.GotoAsync($"/learners/{learner}");
        Assert.Equal(200, own!.Status);
        Assert.Equal("My learning", await page.Locator("h1").InnerTextAsync());
        Assert.Equal(0, await page.Locator(".problem").CountAsync());

        // The app asked for a code with an S256 challenge and redeemed it with the verifier that hashes to it.
        var redemption = Assert.Single(web.Provider.Redemptions, r => r.Subject == "test|" + email);
        Assert.True(redemption.VerifierMatched);
        Assert.InRange(redemption.Verifier.Length, 43, 128);
        Assert.NotEmpty(web.Provider.Authorizations);
        Assert.All(web.Provider.Authorizations, a =>
        {
            Assert.Equal("code", a["response_type"]);
            Assert.Equal("S256", a["code_challenge_method"]);
            // The code comes back in a form post, not in a URL that logs and Referer headers would keep.
            Assert.Equal("form_post", a["response_mode"]);
            Assert.Contains("openid", a["scope"]!.Split(' '));
            Assert.False(string.IsNullOrEmpty(a["nonce"]));
        });
    }

    [Fact]
    public async Task A_provider_user_without_an_account_here_is_refused_and_told_why()
    {
        var page = await web.AnonymousPageAsync();
        await page.GotoAsync("/sign-in");
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "sign-in");

        await SignInThroughProviderAsync(page, "test|stranger@example.org");

        Assert.EndsWith("/sign-in?failed=noaccount", page.Url, StringComparison.Ordinal);
        Assert.Contains("there is no Hephaestus account for you", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "hephaestus.session");
        await page.GotoAsync("/");
        Assert.Contains("/sign-in?ReturnUrl=", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_answer_from_the_provider_ends_on_the_sign_in_page_not_an_error()
    {
        var page = await web.AnonymousPageAsync();
        // What a provider sends when the person declines (and a forged callback looks the same: its state is not ours).
        var response = await page.GotoAsync("/sign-in/oidc/callback?error=access_denied&state=not-ours");

        Assert.Equal(200, response!.Status);
        Assert.EndsWith("/sign-in?failed=provider", page.Url, StringComparison.Ordinal);
        Assert.Contains("did not succeed", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_session_ends_when_the_providers_access_token_does()
    {
        var email = "oidc-short@example.org";
        await web.CreateUserAsync(email, "learner");
        web.Provider.AccessTokenLifetime = TimeSpan.FromSeconds(5);
        try
        {
            var page = await web.AnonymousPageAsync();
            await page.GotoAsync("/sign-in");
            await SignInThroughProviderAsync(page, "test|" + email);
            Assert.Equal("Welcome, oidc-short", await page.Locator("h1").InnerTextAsync());

            // The API would refuse the token from now on; the session does not outlive it with pages of refusals.
            await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
            await page.GotoAsync("/");
            Assert.Contains("/sign-in?ReturnUrl=", page.Url, StringComparison.Ordinal);
        }
        finally
        {
            web.Provider.AccessTokenLifetime = TimeSpan.FromHours(1);
        }
    }

    [Fact]
    public async Task One_time_links_do_not_sign_in_when_an_identity_provider_is_configured()
    {
        var learner = await web.CreateUserAsync("oidc-link@example.org", "learner");
        var page = await web.AnonymousPageAsync();
        await page.GotoAsync($"/sign-in/link/{await web.LinkAsync(learner)}");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Request.Method == "POST");

        Assert.Equal((int)HttpStatusCode.Forbidden, refused.Status);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "hephaestus.session");
    }

    /// <summary>From the sign-in page through the provider's login form and its answer back to the app.</summary>
    async Task SignInThroughProviderAsync(IPage page, string subject)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with your organisation" }).ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(web.Provider.Issuer + "/authorize?", StringComparison.Ordinal));
        await page.GetByLabel("Subject").FillAsync(subject);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Return to the application" }).ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(web.BaseUrl.ToString(), StringComparison.Ordinal) && !url.Contains("/oidc/", StringComparison.Ordinal));
    }
}

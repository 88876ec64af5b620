using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>The pages speak the user's profile: its locale formats dates and numbers, its time zone places times.</summary>
public sealed class WebLocalizationTests(WebApp web) : IClassFixture<WebApp>
{
    static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");
    static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");

    [Fact]
    public async Task A_de_DE_user_in_Europe_Berlin_sees_numbers_and_times_as_there()
    {
        var email = "de-learner@example.org";
        var learner = await web.CreateUserAsync(email, "learner");
        var profile = await SetProfileAsync(email, learner, "de-DE", "Europe/Berlin");
        var value = await LearnerMastery.ArrangeAsync(web, learner, "de-skill");
        // The two cultures must write the value differently, or the page could not show which one it used.
        Assert.NotEqual(value.ToString("N2", German), value.ToString("N2", English));

        // The browser asks for English: the profile decides, not the browser.
        var page = await web.SignInAsync(learner);
        Assert.Equal("de", await page.Locator("html").GetAttributeAsync("lang"));

        await page.GotoAsync($"/learners/{learner}");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "de-skill" });
        Assert.Contains(value.ToString("N2", German), await row.InnerTextAsync(), StringComparison.Ordinal);

        await page.GotoAsync("/account");
        var created = profile.GetProperty("createdAt").GetDateTimeOffset();
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var shown = await page.Locator("dl.facts time").InnerTextAsync();
        Assert.Equal(TimeZoneInfo.ConvertTime(created, berlin).ToString("g", German), shown);
        // Berlin is ahead of UTC all year: the same instant in UTC reads differently, so the zone was applied.
        Assert.NotEqual(created.UtcDateTime.ToString("g", German), shown);
        Assert.Empty(await WebApp.AccessibilityViolationsAsync(page));
        await WebApp.ScreenshotAsync(page, "account");
    }

    [Fact]
    public async Task A_user_whose_profile_has_another_zone_sees_the_same_instant_at_their_hour()
    {
        var email = "ny-learner@example.org";
        var learner = await web.CreateUserAsync(email, "learner");
        var profile = await SetProfileAsync(email, learner, "en-US", "America/New_York");

        var page = await web.SignInAsync(learner);
        await page.GotoAsync("/account");

        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
        var created = profile.GetProperty("createdAt").GetDateTimeOffset();
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.Equal(TimeZoneInfo.ConvertTime(created, newYork).ToString("g", CultureInfo.GetCultureInfo("en-US")),
            await page.Locator("dl.facts time").InnerTextAsync());
    }

    /// <summary>The user sets their own locale and time zone through the API, as a client of theirs would.</summary>
    async Task<System.Text.Json.JsonElement> SetProfileAsync(string email, Guid id, string locale, string timeZone)
    {
        var client = web.Api.ClientFor("test|" + email);
        var me = await client.GetAsync("/api/v1/users/me");
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/users/{id}") { Content = JsonContent.Create(new { locale, timeZone }) };
        patch.Headers.IfMatch.Add(me.Headers.ETag!);
        var changed = await client.SendAsync(patch);
        Assert.True(changed.IsSuccessStatusCode, await changed.Content.ReadAsStringAsync());
        var profile = await Json.ReadAsync(changed);
        Assert.Equal(locale, profile.GetProperty("locale").GetString());
        return profile;
    }
}

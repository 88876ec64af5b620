using Hephaestus.Testing;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// `hephaestus token --user … --link`, run as an operator runs it (the built executable, configured by environment, on
/// the service's database): a loopback link for an existing user that signs them in once, and clear refusals otherwise.
/// </summary>
public sealed class WebTokenLinkTests(WebApp web) : IClassFixture<WebApp>, IDisposable
{
    readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("hephaestus-token-link-");

    [Fact]
    public async Task The_verb_prints_a_loopback_link_that_signs_the_user_in_once()
    {
        var email = "link-verb@example.org";
        await web.CreateUserAsync(email, "learner");

        var (exit, output) = await TokenAsync("--user", email, "--link");

        Assert.True(exit == 0, output);
        var link = new Uri(output.Trim());
        Assert.True(link.IsLoopback, link.ToString());
        Assert.Equal(web.BaseUrl.GetLeftPart(UriPartial.Authority), link.GetLeftPart(UriPartial.Authority));
        Assert.StartsWith("/sign-in/link/", link.AbsolutePath, StringComparison.Ordinal);

        var page = await web.AnonymousPageAsync();
        await page.GotoAsync(link.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(web.BaseUrl, "/").ToString());
        Assert.Equal("Welcome, link-verb", await page.Locator("h1").InnerTextAsync());
        Assert.False(Directory.Exists(Path.Combine(_folder.FullName, ".hephaestus")), "the verb started an embedded database instead of using the configured one");
    }

    [Fact]
    public async Task An_unknown_email_gets_no_link_and_no_account()
    {
        var (exit, output) = await TokenAsync("--user", "nobody-here@example.org", "--link");

        Assert.Equal(1, exit);
        Assert.Contains("nobody-here@example.org: no account has this email", output, StringComparison.Ordinal);
        Assert.DoesNotContain("/sign-in/link/", output, StringComparison.Ordinal);
        Assert.Equal(0, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users WHERE email = 'nobody-here@example.org'"));
    }

    [Fact]
    public async Task A_link_with_a_role_or_for_a_file_of_users_is_refused()
    {
        var email = "link-role@example.org";
        var user = await web.CreateUserAsync(email, "learner");
        var users = Path.Combine(_folder.FullName, "users.txt");
        await File.WriteAllLinesAsync(users, [email], TestContext.Current.CancellationToken);

        var withRole = await TokenAsync("--user", email, "--role", "admin", "--link");
        var withFile = await TokenAsync("--users-file", users, "--link");

        foreach (var (exit, output) in new[] { withRole, withFile })
        {
            Assert.Equal(1, exit);
            Assert.Contains("--link signs in one existing user", output, StringComparison.Ordinal);
            Assert.DoesNotContain("/sign-in/link/", output, StringComparison.Ordinal);
        }

        Assert.Equal(0, await web.ScalarAsync<long>("SELECT count(*) FROM hephaestus.web_sign_in_links WHERE user_id = $1", user));
        Assert.Equal(["learner"], (await web.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE id = $1", user))!);
    }

    /// <summary>The verb as a process of its own, on this fixture's database and at the address its service listens on.</summary>
    Task<(int ExitCode, string Output)> TokenAsync(params string[] args) => HephaestusProcess.RunAsync(new Dictionary<string, string>
    {
        ["ConnectionStrings__Hephaestus"] = web.AppConnectionString,
        ["ConnectionStrings__HephaestusOwner"] = web.OwnerConnectionString,
        ["Auth__SigningKey"] = TestDatabase.SigningKeyBase64,
        ["Urls"] = web.BaseUrl.GetLeftPart(UriPartial.Authority),
    }, _folder.FullName, TimeSpan.FromMinutes(2), ["token", .. args]);

    public void Dispose() => _folder.Delete(recursive: true);
}

using Deque.AxeCore.Playwright;
using Hephaestus.Data.Identity;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// The service on a real socket (Kestrel on 127.0.0.1, a free port: the web app calls its own API over loopback, and a
/// browser needs an address) on the test class's database, and a headless Debian Chromium driven by Playwright.
/// </summary>
public class WebApp : TestDatabase
{
    ApiFactory? _factory;
    IPlaywright? _playwright;
    IBrowser? _browser;

    public ApiFactory Api => _factory ?? throw new InvalidOperationException("not initialised");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not initialised");

    /// <summary>Where the service listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1");

    /// <summary>Configuration the service of this fixture runs with, beside the test defaults (an identity provider's).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ServiceSettings => new Dictionary<string, string?>();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _factory = new ApiFactory(this, new Dictionary<string, string?>(ServiceSettings) { ["Urls"] = "http://127.0.0.1:0" });
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            // Chromium's sandbox refuses to start as root (CI runs as root); the pages are our own.
            Args = ["--no-sandbox"],
        });
    }

    public override async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A new browser context (its own cookies) and page at this site, not signed in.</summary>
    public async Task<IPage> AnonymousPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl.ToString(), Locale = "en-GB" });
        return await context.NewPageAsync();
    }

    /// <summary>A one-time link for the user, as `hephaestus token --user … --link` makes it.</summary>
    public Task<string> LinkAsync(Guid userId) => SignInLinks.CreateAsync(Owner, userId, CancellationToken.None);

    /// <summary>A page signed in as this user through a one-time link (the embedded default's way in).</summary>
    public async Task<IPage> SignInAsync(Guid userId)
    {
        var page = await AnonymousPageAsync();
        await page.GotoAsync($"/sign-in/link/{await LinkAsync(userId)}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Uri(BaseUrl, "/").ToString());
        return page;
    }

    /// <summary>
    /// The screenshot of a view that docs/screenshots keeps (linked from the README): written there when the tests run
    /// with HEPHAESTUS_UPDATE_SCREENSHOTS=1 (then commit the files), otherwise taken and checked to be an image only, so
    /// every run still proves the view renders.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G', $"the screenshot {name} is not a PNG image");
        if (Environment.GetEnvironmentVariable("HEPHAESTUS_UPDATE_SCREENSHOTS") != "1") return;
        var directory = Path.Combine(Architecture.HouseTests.Root, "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, name + ".png"), png);
    }

    /// <summary>The serious and critical accessibility violations axe finds on the page as it is now.</summary>
    public static async Task<IReadOnlyList<string>> AccessibilityViolationsAsync(IPage page)
    {
        var results = await page.RunAxe();
        return results.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
    }
}

/// <summary>Debian's Chromium, by its path: HEPHAESTUS_CHROMIUM, or chromium / chromium-browser on PATH.</summary>
public static class Chromium
{
    public static string Path { get; } = Find();

    static string Find()
    {
        if (Environment.GetEnvironmentVariable("HEPHAESTUS_CHROMIUM") is { Length: > 0 } configured) return configured;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
        {
            foreach (var name in new[] { "chromium", "chromium-browser" })
            {
                var candidate = System.IO.Path.Combine(directory, name);
                if (File.Exists(candidate)) return candidate;
            }
        }

        throw new InvalidOperationException("Chromium was not found: install it (apt-get install chromium) or set HEPHAESTUS_CHROMIUM to its path.");
    }
}

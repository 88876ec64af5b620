using Hephaestus.Server.Web.Components;
using Microsoft.AspNetCore.DataProtection;

namespace Hephaestus.Server.Web;

/// <summary>
/// The web app (issue 14): Razor components rendered on the server (static SSR: no WebAssembly, no SignalR circuit, no
/// script needed to read or act), served at <c>/</c> beside the API by the same executable. Every page reads and writes
/// through the service's own HTTP API as the signed-in user (<see cref="WebApi"/>), so the web app has exactly the API's
/// authorization and validation, and no SQL of its own. docs/architecture.md says why this shape.
/// </summary>
public static class WebHosting
{
    public static IHostApplicationBuilder AddHephaestusWeb(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "hephaestus.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddLocalization();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddHttpClient(WebApi.ClientName, client => client.Timeout = TimeSpan.FromSeconds(30))
            // Loopback calls to this same process: no proxy, and connections kept for reuse across page views.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) });
        builder.Services.AddSingleton<WebApiAddress>();
        builder.Services.AddScoped<WebApi>();
        builder.Services.AddScoped<WebUser>();
        builder.AddWebSignIn();
        // The session and anti-forgery cookies are encrypted with this key ring: instances behind one load balancer must
        // share it (Web:KeysDirectory on a shared volume), or a request reaching another instance is signed out.
        var keys = builder.Services.AddDataProtection().SetApplicationName("hephaestus");
        if (builder.Configuration["Web:KeysDirectory"] is { Length: > 0 } directory) keys.PersistKeysToFileSystem(new DirectoryInfo(directory));
        return builder;
    }

    /// <summary>Static files, security headers, the user's culture, anti-forgery, then the pages and the sign-in endpoints.</summary>
    public static WebApplication MapWebApp(this WebApplication app)
    {
        app.UseWhen(WebPaths.IsWeb, web =>
        {
            web.UseMiddleware<WebResponseHeaders>();
            web.UseMiddleware<WebCulture>();
        });
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapWebSignIn();
        app.MapWebDownloads();
        app.MapWebContentBodies();
        app.MapRazorComponents<App>();
        return app;
    }
}

/// <summary>Which requests are the web app's: everything that is not the API, xAPI, health, or the API's documents.</summary>
public static class WebPaths
{
    static readonly PathString[] NotWeb = ["/api", "/xapi", "/health", "/openapi", "/docs", "/scalar"];

    public static bool IsWeb(HttpContext context) => IsWeb(context.Request.Path);

    public static bool IsWeb(PathString path) => !NotWeb.Any(path.StartsWithSegments);
}

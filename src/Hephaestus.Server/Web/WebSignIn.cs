using System.Security.Claims;
using Hephaestus.Data.Identity;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Npgsql;

namespace Hephaestus.Server.Web;

/// <summary>
/// How a browser signs in. The session is an HttpOnly cookie whose (encrypted) ticket holds the user's subject and an
/// access token for the API; the browser never sees the token, and the API never accepts the cookie, so no API call can
/// be forged across sites. Two ways in:
/// <list type="bullet">
/// <item>Production: OpenID Connect authorization code flow with PKCE against Auth:Authority (client Web:Oidc:ClientId);
/// the provider's access token, issued for the API's audience, is what the pages send.</item>
/// <item>Embedded default (or Auth:SigningKey): <c>hephaestus token --user … --link</c> prints a one-time link; opened on
/// this machine (loopback only) and confirmed, it signs in as that user with a token the service mints.</item>
/// </list>
/// Roles are never kept in the cookie: every request resolves the subject again (<see cref="ActorResolver"/>), as the API
/// does, so a role change or an erasure takes effect without signing out.
/// </summary>
public static class WebSignIn
{
    public const string CookieScheme = "HephaestusWeb";
    public const string OidcScheme = "HephaestusWebOidc";
    public const string AccessToken = "access_token";
    public const string LocaleClaim = "hephaestus:locale";
    public const string TimeZoneClaim = "hephaestus:time_zone";
    public const string NameClaim = "hephaestus:name";

    /// <summary>A session lasts as long as the token it holds; then the user signs in again.</summary>
    public static readonly TimeSpan SessionLength = TimeSpan.FromHours(8);

    public static bool OidcConfigured(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration["Auth:Authority"]) && !string.IsNullOrEmpty(configuration["Web:Oidc:ClientId"]);

    internal static IHostApplicationBuilder AddWebSignIn(this IHostApplicationBuilder builder)
    {
        var authentication = builder.Services.AddAuthentication().AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = "hephaestus.session";
            o.Cookie.HttpOnly = true;
            // Lax, not Strict: the identity provider's redirect back is a cross-site top-level navigation.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/sign-in";
            o.AccessDeniedPath = "/forbidden";
            o.ExpireTimeSpan = SessionLength;
            o.SlidingExpiration = false;
            o.Events.OnValidatePrincipal = ResolveActorAsync;
        });
        if (OidcConfigured(builder.Configuration)) authentication.AddOpenIdConnect(OidcScheme, o => ConfigureOidc(o, builder.Configuration));
        return builder;
    }

    static void ConfigureOidc(OpenIdConnectOptions o, IConfiguration configuration)
    {
        o.Authority = configuration["Auth:Authority"];
        o.ClientId = configuration["Web:Oidc:ClientId"];
        o.ClientSecret = configuration["Web:Oidc:ClientSecret"];
        o.ResponseType = "code";
        o.UsePkce = true;
        o.SaveTokens = true;
        o.MapInboundClaims = false;
        o.SignInScheme = CookieScheme;
        o.CallbackPath = "/sign-in/oidc/callback";
        o.SignedOutCallbackPath = "/sign-out/oidc/callback";
        o.RequireHttpsMetadata = AuthHosting.RequireHttpsMetadata(configuration);
        o.Scope.Clear();
        foreach (var scope in (configuration["Web:Oidc:Scopes"] ?? "openid profile email").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            o.Scope.Add(scope);
        }

        o.Events.OnTokenValidated = async context =>
        {
            var subject = context.Principal?.FindFirstValue("sub");
            var token = context.TokenEndpointResponse?.AccessToken;
            if (subject is null || token is null)
            {
                context.Fail("the identity provider returned no subject or no access token");
                return;
            }

            // The provider knows the person; only this database says whether they have an account here (someone must
            // have provisioned one with this subject). Asked first, so that refusal is told apart from a token the API
            // will not take, which is the operator's to fix (audience, issuer), not the user's.
            var http = context.HttpContext;
            if (await http.RequestServices.GetRequiredService<ActorResolver>().ResolveAsync(subject, http.RequestAborted) is null)
            {
                context.Fail(new UnknownAccountException());
                return;
            }

            var session = await SessionPrincipalAsync(http, subject, token);
            if (session is null)
            {
                context.Fail("the API refused the identity provider's access token: check that the provider issues it for Auth:Audience");
                return;
            }

            context.Principal = session;
            context.Properties!.ExpiresUtc = DateTimeOffset.UtcNow + SessionLengthFor(context.TokenEndpointResponse!.ExpiresIn);
        };
        // A refused or failed sign-in ends on the sign-in page saying which, not on an error page with an exception.
        o.Events.OnRemoteFailure = context =>
        {
            var failure = context.Failure is UnknownAccountException ? SignInFailure.NoAccount : SignInFailure.Provider;
            if (failure == SignInFailure.Provider)
            {
                context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSignIn))
                    .LogWarning(context.Failure, "Signing in with the identity provider failed");
            }

            context.Response.Redirect("/sign-in?failed=" + failure.ToString().ToLowerInvariant());
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// A session ends when the access token it holds does (the provider's expires_in, in seconds), or after
    /// <see cref="SessionLength"/> if that is sooner: past the token's end every page's API call would be refused.
    /// </summary>
    public static TimeSpan SessionLengthFor(string? expiresIn) =>
        int.TryParse(expiresIn, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds > 0 && TimeSpan.FromSeconds(seconds) < SessionLength
            ? TimeSpan.FromSeconds(seconds)
            : SessionLength;

    /// <summary>Every request: the cookie's subject resolved to the user and roles the database holds now, or the session ends.</summary>
    static async Task ResolveActorAsync(CookieValidatePrincipalContext context)
    {
        var subject = context.Principal?.FindFirstValue("sub");
        var actor = subject is null ? null
            : await context.HttpContext.RequestServices.GetRequiredService<ActorResolver>().ResolveAsync(subject, context.HttpContext.RequestAborted);
        if (actor is null || context.Properties.GetTokenValue(AccessToken) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }

        var principal = AuthHosting.DatabasePrincipal(subject!, actor, CookieScheme);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.AddClaims(context.Principal!.Claims.Where(c => c.Type is LocaleClaim or TimeZoneClaim or NameClaim));
        context.ReplacePrincipal(principal);
    }

    internal static WebApplication MapWebSignIn(this WebApplication app)
    {
        var web = app.MapGroup("").ExcludeFromDescription();
        web.MapGet("/sign-in/oidc", (string? returnUrl, HttpContext http) => OidcConfigured(app.Configuration)
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalOrHome(returnUrl) }, [OidcScheme])
            : Results.Redirect("/sign-in"));
        // A form post (the layout's button): binding the form makes the anti-forgery middleware check its token, so no
        // other site can sign a user out.
        web.MapPost("/sign-out", async (IFormCollection form, HttpContext http) =>
        {
            await http.SignOutAsync(CookieScheme);
            return Results.Redirect("/sign-in?signedOut=true");
        });
        return app;
    }

    /// <summary>Only a path of this site: an absolute or protocol-relative URL would make the sign-in an open redirect.</summary>
    public static string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";

    /// <summary>
    /// Redeems a one-time link and starts a session as its user: only from this machine (the link is printed in its
    /// terminal), only once, only while it is fresh. False, with nothing changed, otherwise.
    /// </summary>
    public static async Task<bool> SignInWithLinkAsync(HttpContext http, string code)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!IsLoopback(http) || OidcConfigured(http.RequestServices.GetRequiredService<IConfiguration>())) return false;
        var subject = await SignInLinks.RedeemAsync(http.RequestServices.GetRequiredService<NpgsqlDataSource>(), code, http.RequestAborted);
        if (subject is null) return false;

        var configuration = http.RequestServices.GetRequiredService<IConfiguration>();
        var database = http.RequestServices.GetRequiredService<DatabaseLifetime>();
        var key = AuthHosting.SigningKey(configuration, () => database.Endpoint.EmbeddedSigningKey);
        var token = TokenIssuer.Issue(key, subject, SessionLength,
            configuration["Auth:Issuer"] ?? AuthHosting.DefaultIssuer, configuration["Auth:Audience"] ?? AuthHosting.DefaultAudience);
        var principal = await SessionPrincipalAsync(http, subject, token);
        if (principal is null) return false;

        var properties = new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow + SessionLength, AllowRefresh = false };
        properties.StoreTokens([new AuthenticationToken { Name = AccessToken, Value = token }]);
        await http.SignInAsync(CookieScheme, principal, properties);
        return true;
    }

    public static bool IsLoopback(HttpContext http) => http.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address);

    /// <summary>The session's identity: the subject, and the profile's locale, time zone and name, read through the API with the new token.</summary>
    static async Task<ClaimsPrincipal?> SessionPrincipalAsync(HttpContext http, string subject, string token)
    {
        var api = http.RequestServices.GetRequiredService<WebApi>();
        var me = await api.GetAsync<WebProfile>("/api/v1/users/me", http.RequestAborted, token);
        if (me.Value is not { } profile) return null;
        var identity = new ClaimsIdentity(
            [new Claim("sub", subject), new Claim(LocaleClaim, profile.Locale), new Claim(TimeZoneClaim, profile.TimeZone), new Claim(NameClaim, profile.DisplayName)],
            CookieScheme, "sub", ClaimTypes.Role);
        return new ClaimsPrincipal(identity);
    }
}

/// <summary>Why a sign-in with the identity provider ended on the sign-in page (its <c>failed</c> query value).</summary>
public enum SignInFailure
{
    /// <summary>The provider signed the person in, but no account here has their subject.</summary>
    NoAccount,

    /// <summary>Anything else: the provider refused, or its answer was not usable (logged for the operator).</summary>
    Provider,
}

/// <summary>The parts of GET /api/v1/users/me a session keeps.</summary>
public sealed record WebProfile(Guid Id, string DisplayName, string Locale, string TimeZone, string[] Roles);

using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Hephaestus.Data.Xapi;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hephaestus.Server.Auth;

/// <summary>
/// HTTP Basic authentication with the credentials an admin issues per activity provider (what Articulate, Captivate and
/// H5P send to an LRS), and only under <c>/xapi</c>: the service's default scheme is a selector that sends a request
/// under /xapi without a bearer token here and everything else to JWT bearer, so a Basic header never authenticates an
/// /api route. A provider's principal carries its id and name (<see cref="ActivityProviderClaim"/>,
/// <see cref="ActivityProviderNameClaim"/>) and its cohort when scoped, and no user id: the Provisioned policy of /api
/// refuses it, and its requests act as <see cref="XapiCredentialStore.ProviderActor"/>.
/// </summary>
public static class XapiBasic
{
    public const string Scheme = "XapiBasic";

    /// <summary>The default scheme: picks Basic or JWT bearer per request (<see cref="Select"/>).</summary>
    public const string SelectorScheme = "Hephaestus";

    public const string ActivityProviderClaim = "hephaestus:activity_provider";
    public const string ActivityProviderNameClaim = "hephaestus:activity_provider_name";

    /// <summary>The cohort whose learners a scoped provider may name; absent when it may name anyone.</summary>
    public const string LearnerScopeClaim = "hephaestus:activity_provider_scope";

    public const string Challenge = "Basic realm=\"xapi\", charset=\"UTF-8\"";

    /// <summary>Revocation takes effect within this in every instance (at once in the one that revoked).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>The web app's pages sign in with a session cookie (Web/WebSignIn); the API never accepts one.</summary>
    public static string Select(HttpContext context) =>
        Web.WebPaths.IsWeb(context) ? Web.WebSignIn.CookieScheme
        : context.Request.Path.StartsWithSegments("/xapi")
        && !context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? Scheme
            : JwtBearerDefaults.AuthenticationScheme;

    public static bool IsProvider(this ClaimsPrincipal principal) => principal.HasClaim(c => c.Type == ActivityProviderClaim);
}

/// <summary>
/// The live credentials by key, cached for <see cref="XapiBasic.CacheFor"/> (unknown keys too, so a flood of wrong keys
/// costs one query per key and period). The secret is compared on every request against the cached hash: one SHA-256.
/// </summary>
public sealed class XapiCredentialCache(NpgsqlDataSource db, IMemoryCache cache)
{
    public async Task<XapiProviderCredential?> FindAsync(string key, CancellationToken ct)
    {
        if (cache.TryGetValue(CacheKey(key), out XapiProviderCredential? cached)) return cached;
        var credential = await XapiCredentialStore.FindByKeyAsync(db, key, ct);
        cache.Set(CacheKey(key), credential, XapiBasic.CacheFor);
        return credential;
    }

    /// <summary>Called when credentials are revoked here, so this instance refuses them at once.</summary>
    public void Forget(string key) => cache.Remove(CacheKey(key));

    static string CacheKey(string key) => "xapi-credential:" + key;
}

public sealed class XapiBasicHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    XapiCredentialCache credentials) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("The Authorization header is neither Basic nor Bearer.");
        if (Decode(header[6..].Trim()) is not (var key, var secret)) return AuthenticateResult.Fail("The Basic credentials are not base64 of key:secret.");
        var credential = await credentials.FindAsync(key, Context.RequestAborted);
        if (credential is null || !CryptographicOperations.FixedTimeEquals(XapiCredentialStore.HashSecret(secret), credential.SecretSha256))
        {
            return AuthenticateResult.Fail("Unknown, revoked or wrong credentials.");
        }

        var claims = new List<Claim>
        {
            new(XapiBasic.ActivityProviderClaim, credential.Id.ToString()),
            new(XapiBasic.ActivityProviderNameClaim, credential.Name),
        };
        if (credential.LearnerScope is { } scope) claims.Add(new Claim(XapiBasic.LearnerScopeClaim, scope.ToString()));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, XapiBasic.Scheme, XapiBasic.ActivityProviderNameClaim, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, XapiBasic.Scheme));
    }

    /// <summary>Key and secret from base64 of "key:secret"; null when malformed.</summary>
    static (string Key, string Secret)? Decode(string encoded)
    {
        Span<byte> bytes = stackalloc byte[256];
        if (encoded.Length > 340 || !Convert.TryFromBase64String(encoded, bytes, out var length)) return null;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes[..length]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? null : (text[..colon], text[(colon + 1)..]);
    }

    /// <summary>A 401 names the Basic realm (what LRS clients answer) and says why, as a problem detail.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = XapiBasic.Challenge;
        await Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = failure is null
                    ? "This needs credentials: HTTP Basic with an activity provider's key and secret, or a bearer token."
                    : failure.Message + " Send HTTP Basic with the key and secret an admin issued, or a bearer token.",
            },
        });
    }
}

using System.Globalization;
using System.Security.Claims;
using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Web;

/// <summary>
/// The signed-in user as the pages need them: id, roles (resolved from the database on this request), name, and the
/// profile's locale and time zone, in which every date and number is shown.
/// </summary>
public sealed class WebUser(IHttpContextAccessor accessor)
{
    ClaimsPrincipal Principal => accessor.HttpContext?.User ?? new ClaimsPrincipal();

    public Guid? Id => Principal.ToActor()?.UserId;

    public bool SignedIn => Id is not null;

    public string Name => Principal.FindFirstValue(WebSignIn.NameClaim) ?? "";

    public bool Has(params string[] roles) => roles.Any(Principal.IsInRole);

    public TimeZoneInfo TimeZone => Zone(Principal.FindFirstValue(WebSignIn.TimeZoneClaim));

    /// <summary>A time in the user's zone (their profile's, UTC when it names none this machine knows) and culture.</summary>
    public string When(DateTimeOffset? at) =>
        at is { } value ? TimeZoneInfo.ConvertTime(value, TimeZone).ToString("g", CultureInfo.CurrentCulture) : "—";

    public string Date(DateTimeOffset? at) =>
        at is { } value ? TimeZoneInfo.ConvertTime(value, TimeZone).ToString("d", CultureInfo.CurrentCulture) : "—";

    public static string Number(double? value, int decimals = 2) =>
        value is { } v ? v.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.CurrentCulture) : "—";

    public static string Percent(double? fraction, int decimals = 0) =>
        fraction is { } v ? v.ToString("P" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.CurrentCulture) : "—";

    static TimeZoneInfo Zone(string? id)
    {
        if (id is { Length: > 0 } && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)) return zone;
        return TimeZoneInfo.Utc;
    }
}

/// <summary>Web requests run in the signed-in user's culture (their profile's locale), or English before sign-in.</summary>
public sealed class WebCulture(RequestDelegate next)
{
    static readonly CultureInfo Fallback = CultureInfo.GetCultureInfo("en");

    public Task InvokeAsync(HttpContext context)
    {
        var culture = Culture(context.User.FindFirstValue(WebSignIn.LocaleClaim));
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
        return next(context);
    }

    static CultureInfo Culture(string? locale)
    {
        if (string.IsNullOrWhiteSpace(locale)) return Fallback;
        try
        {
            return CultureInfo.GetCultureInfo(locale, predefinedOnly: true);
        }
        catch (CultureNotFoundException)
        {
            return Fallback;
        }
    }
}

/// <summary>
/// What every web response carries: a Content-Security-Policy that allows no inline script, no plugin, no framing and
/// no form posting elsewhere (the pages need no script to work; the one script they load comes from this site), and no
/// caching of pages, which show personal data.
/// </summary>
public sealed class WebResponseHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            if (headers.CacheControl.Count == 0 && context.Response.ContentType?.StartsWith("text/html", StringComparison.Ordinal) == true)
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        });
        return next(context);
    }
}

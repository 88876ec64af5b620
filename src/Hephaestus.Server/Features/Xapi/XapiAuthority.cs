using Hephaestus.Data;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>
/// Who sends or reads Statements, and the authority the LRS writes on what they send (xAPI-Data.md 2.4.9: set from
/// the credentials, whatever the Statement claims). Two kinds of credentials reach the Statements resource:
/// an activity provider's HTTP Basic credentials (the principal carries <see cref="ProviderClaim"/> and
/// <see cref="ProviderNameClaim"/>; the authority is the provider's Agent, and the database actor holds the role
/// <c>xapi_provider</c> with the provider's id), and the service's own bearer token (the signed-in user's actor; the
/// authority is the user's account Agent).
/// </summary>
public static class XapiAuthority
{
    public const string ProviderClaim = "hephaestus:activity_provider";
    public const string ProviderNameClaim = "hephaestus:activity_provider_name";

    /// <summary>The role the database sees for a request made with an activity provider's credentials.</summary>
    public const string ProviderRole = "xapi_provider";

    /// <summary>The caller, or null when the principal is neither a provider nor a provisioned user.</summary>
    public static XapiCaller? Caller(HttpContext http, string accountHomePage)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.User.FindFirst(ProviderClaim)?.Value is { } provider && Guid.TryParse(provider, out var providerId))
        {
            var name = http.User.FindFirst(ProviderNameClaim)?.Value ?? providerId.ToString("D");
            Guid? scope = Guid.TryParse(http.User.FindFirst(XapiBasic.LearnerScopeClaim)?.Value, out var cohort) ? cohort : null;
            return new XapiCaller(new Actor(Guid.Empty, [ProviderRole]), providerId, XapiAgents.ProviderAgentJson(name, accountHomePage), scope);
        }

        return http.User.ToActor() is { } actor ? new XapiCaller(actor, null, XapiAgents.UserAgentJson(actor.UserId, accountHomePage)) : null;
    }

    /// <summary>The home page of the accounts that name Hephaestus users: Xapi:AccountHomePage, else the service's base URL.</summary>
    public static string AccountHomePage(HttpContext http, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration["Xapi:AccountHomePage"] is { Length: > 0 } configured
            ? configured
            : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
    }
}

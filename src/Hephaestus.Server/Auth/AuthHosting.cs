using System.Security.Claims;
using System.Text;
using Hephaestus.Data;
using Hephaestus.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hephaestus.Server.Auth;

/// <summary>
/// JWT bearer authentication. A token says who (its subject); the database says what that user may do (its roles),
/// so a role change takes effect within <see cref="ActorResolver.CacheFor"/> without re-issuing tokens.
/// Production: Auth:Authority (OpenID Connect discovery and JWKS) or Auth:SigningKey (base64 HMAC key).
/// Embedded default: the key the service generated and keeps in its data directory; `hephaestus token` mints tokens.
/// </summary>
public static class AuthHosting
{
    public const string UserIdClaim = "hephaestus:user_id";
    public const string DefaultIssuer = "hephaestus";
    public const string DefaultAudience = "hephaestus";

    public static IHostApplicationBuilder AddHephaestusAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ActorResolver>();
        builder.Services.AddSingleton<ValidatedTokens>();
        builder.Services.AddSingleton<XapiCredentialCache>();
        // One default scheme that picks per request: HTTP Basic (activity provider credentials) under /xapi without a
        // bearer token, JWT bearer everywhere else (XapiBasic.Select); challenges follow the same choice.
        builder.Services.AddAuthentication(XapiBasic.SelectorScheme)
            .AddPolicyScheme(XapiBasic.SelectorScheme, null, o => o.ForwardDefaultSelector = XapiBasic.Select)
            .AddJwtBearer()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, XapiBasicHandler>(XapiBasic.Scheme, null);
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IConfiguration, DatabaseLifetime>(ConfigureJwt);
        builder.Services.AddAuthorizationBuilder().AddHephaestusPolicies();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ForbiddenAsProblem>();
        return builder;
    }

    static void ConfigureJwt(JwtBearerOptions options, IConfiguration configuration, DatabaseLifetime database)
    {
        var authority = configuration["Auth:Authority"];
        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = configuration["Auth:Issuer"] ?? (authority ?? DefaultIssuer),
            ValidAudience = configuration["Auth:Audience"] ?? DefaultAudience,
            NameClaimType = "sub",
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrEmpty(authority))
        {
            options.Authority = authority;
            options.RequireHttpsMetadata = RequireHttpsMetadata(configuration);
        }
        else
        {
            var key = SigningKey(configuration, () => database.Endpoint.EmbeddedSigningKey);
            options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(key);
        }

        options.Events = new JwtBearerEvents
        {
            // A token validated before (ValidatedTokens) skips its validation, not its account: the subject is resolved
            // to a user again, as after a validation.
            OnMessageReceived = async context =>
            {
                if (ValidatedTokens.BearerToken(context.Request.Headers.Authorization) is not { } token) return;
                var tokens = context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>();
                if (tokens.Find(token) is not { } subject) return;
                if (await SignInAsync(context, subject)) context.Success();
            },
            OnTokenValidated = async context =>
            {
                var subject = context.Principal?.FindFirstValue("sub");
                if (subject is null)
                {
                    context.Fail("the token has no subject (sub)");
                    return;
                }

                if (await SignInAsync(context, subject) && context.SecurityToken is JsonWebToken validated)
                {
                    context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>()
                        .Remember(validated.EncodedToken, subject, new DateTimeOffset(validated.ValidTo, TimeSpan.Zero));
                }
            },
            OnChallenge = TokenChallenge.WriteAsync,
        };
    }

    /// <summary>
    /// Makes the request's principal from the database's answer for a validated token's subject; false (and a failed
    /// authentication) when the subject is no user.
    /// </summary>
    static async Task<bool> SignInAsync(ResultContext<JwtBearerOptions> context, string subject)
    {
        var resolver = context.HttpContext.RequestServices.GetRequiredService<ActorResolver>();
        var actor = await resolver.ResolveAsync(subject, context.HttpContext.RequestAborted);
        if (actor is null)
        {
            // A valid token for an account that is not there (erased, or never provisioned) is not a credential:
            // 401 saying so (TokenChallenge), rather than a 403 that reads as a missing role.
            context.Fail(new UnknownAccountException());
            return false;
        }

        context.Principal = DatabasePrincipal(subject, actor, context.Scheme.Name);
        return true;
    }

    /// <summary>
    /// The principal a request acts as: a fresh identity holding only the token's subject and what the database says
    /// about it (user id and roles). Every other claim of the token is dropped, so a validly signed token that carries
    /// its own user id or role claims (in any spelling) cannot override the database.
    /// </summary>
    public static ClaimsPrincipal DatabasePrincipal(string subject, Actor? actor, string authenticationType)
    {
        var claims = new List<Claim> { new("sub", subject) };
        if (actor is not null)
        {
            claims.Add(new Claim(UserIdClaim, actor.UserId.ToString()));
            claims.AddRange(actor.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, "sub", ClaimTypes.Role));
    }

    /// <summary>
    /// Whether the authority's discovery document and keys must come over HTTPS (Auth:RequireHttpsMetadata, default
    /// true). Only a provider on this machine (a test's, a developer's) is reached over plain HTTP: the keys that decide
    /// who a token is must not travel where anyone could replace them. The API and the web app's sign-in read the same
    /// authority, so one setting serves both.
    /// </summary>
    public static bool RequireHttpsMetadata(IConfiguration configuration) => configuration.GetValue("Auth:RequireHttpsMetadata", true);

    /// <summary>The HMAC key: configured (base64), or the embedded installation's own.</summary>
    /// <param name="embeddedKey">Asked only when no key is configured (an external database has no embedded key).</param>
    public static byte[] SigningKey(IConfiguration configuration, Func<string?> embeddedKey)
    {
        var configured = configuration["Auth:SigningKey"];
        if (!string.IsNullOrEmpty(configured)) return Convert.FromBase64String(configured);
        if (embeddedKey() is { } embedded) return Convert.FromBase64String(embedded);
        throw new InvalidOperationException(
            "No way to validate tokens: set Auth:Authority (an OpenID Connect issuer) or Auth:SigningKey (a base64 HMAC key of 32 bytes or more).");
    }

    /// <summary>The actor of an authenticated, provisioned request.</summary>
    public static Actor? ToActor(this ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(UserIdClaim);
        if (id is null) return null;
        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
        return new Actor(Guid.Parse(id), roles);
    }

    public static Actor RequireActor(this HttpContext context) =>
        context.User.ToActor() ?? throw new InvalidOperationException("endpoint is missing the provisioned policy");

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

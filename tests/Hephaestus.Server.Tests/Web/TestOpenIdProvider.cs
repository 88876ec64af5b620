using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hephaestus.Server.Tests.Web;

/// <summary>
/// A minimal OpenID provider on 127.0.0.1 for the web app's sign-in tests: discovery, a JWKS with one RSA key, an
/// authorization endpoint that asks who signs in (a form, as a real provider's login page) and answers with a code
/// only for a PKCE S256 challenge, and a token endpoint that redeems a code once, for the verifier that matches its
/// challenge, with an id_token for the client and an access token for the API's audience. It records what clients
/// asked, so a test can say how the app signed in.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "hephaestus-web";
    public const string ClientSecret = "test-client-secret";
    public const string ApiAudience = "hephaestus";

    readonly WebApplication _app;
    readonly RsaSecurityKey _key;
    readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);

    TestOpenIdProvider(WebApplication app, RsaSecurityKey key)
    {
        _app = app;
        _key = key;
    }

    /// <summary>The issuer (and authority): http://127.0.0.1:port, without a trailing slash, as the tokens name it.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>How long the access tokens it issues last (expires_in).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every authorization request, as the client sent it.</summary>
    public ConcurrentQueue<AuthorizationRequest> Authorizations { get; } = new();

    /// <summary>Every code redeemed at the token endpoint, and whether its verifier matched the challenge.</summary>
    public ConcurrentQueue<TokenRedemption> Redemptions { get; } = new();

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders(); // a provider that fails says so to the test through the app, not in its log
        var app = builder.Build();
        var provider = new TestOpenIdProvider(app, new RsaSecurityKey(RSA.Create(2048)) { KeyId = "test-provider-key" });
        app.MapGet("/.well-known/openid-configuration", provider.Discovery);
        app.MapGet("/jwks", provider.Keys);
        app.MapGet("/authorize", provider.LoginForm);
        app.MapPost("/authorize", provider.AuthorizeAsync);
        app.MapPost("/token", provider.TokenAsync);
        await app.StartAsync();
        provider.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return provider;
    }

    /// <summary>An access token for the API as this provider issues it, for arranging data as a provider user.</summary>
    public string AccessToken(string subject) => Sign(subject, ApiAudience, AccessTokenLifetime, []);

    IResult Discovery() => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = Issuer + "/authorize",
        ["token_endpoint"] = Issuer + "/token",
        ["jwks_uri"] = Issuer + "/jwks",
        ["response_types_supported"] = new[] { "code" },
        ["response_modes_supported"] = new[] { "query", "form_post" },
        ["subject_types_supported"] = new[] { "public" },
        ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256 },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
        ["grant_types_supported"] = new[] { "authorization_code" },
    });

    /// <summary>The public half of the key only: a JWKS never carries the private parameters.</summary>
    IResult Keys()
    {
        var parameters = _key.Rsa.ExportParameters(includePrivateParameters: false);
        return Results.Json(new
        {
            keys = new[]
            {
                new
                {
                    kty = "RSA", use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = _key.KeyId,
                    n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
                },
            },
        });
    }

    /// <summary>The provider's login page: who signs in (any subject: the test names it), carrying the request along.</summary>
    IResult LoginForm(HttpRequest request)
    {
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        Authorizations.Enqueue(new AuthorizationRequest(query));
        if (Refusal(query) is { } refusal) return refusal;

        var hidden = string.Concat(query.Select(q => $"<input type=\"hidden\" name=\"{Html(q.Key)}\" value=\"{Html(q.Value)}\">"));
        return Results.Content($"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
            <body><main><h1>Test identity provider</h1>
            <form method="post" action="/authorize">{hidden}
            <label for="subject">Subject</label><input id="subject" name="subject" autocomplete="username">
            <button type="submit">Continue</button></form></main></body></html>
            """, "text/html; charset=utf-8");
    }

    /// <summary>The code goes back to the client as it asked: a form post (the default of ASP.NET Core's handler) or a redirect.</summary>
    async Task<IResult> AuthorizeAsync(HttpRequest request)
    {
        var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        if (Refusal(form) is { } refusal) return refusal;
        if (!form.TryGetValue("subject", out var subject) || subject.Length == 0) return Results.BadRequest("no subject");

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new Grant(subject, form["redirect_uri"], form["code_challenge"], form.GetValueOrDefault("nonce"));
        var state = form.GetValueOrDefault("state") ?? "";
        if (form.GetValueOrDefault("response_mode") == "form_post")
        {
            // A real provider submits this with script on load; a button serves a browser without it (and the tests).
            return Results.Content($"""
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Returning to the application</title></head>
                <body><main><form method="post" action="{Html(form["redirect_uri"])}">
                <input type="hidden" name="code" value="{Html(code)}"><input type="hidden" name="state" value="{Html(state)}">
                <button type="submit">Return to the application</button></form></main></body></html>
                """, "text/html; charset=utf-8");
        }

        return Results.Redirect($"{form["redirect_uri"]}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");
    }

    async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var (clientId, secret) = ClientCredentials(request, form);
        if (clientId != ClientId || secret != ClientSecret) return TokenError("invalid_client", HttpStatusCode.Unauthorized);
        if (form["grant_type"] != "authorization_code") return TokenError("unsupported_grant_type");
        // A code is good once: removed whatever the outcome, as RFC 6749 4.1.2 asks.
        if (!_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"]) return TokenError("invalid_grant");

        var verifier = form["code_verifier"].ToString();
        var matched = verifier.Length > 0 && Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == grant.CodeChallenge;
        Redemptions.Enqueue(new TokenRedemption(grant.Subject, verifier, matched));
        if (!matched) return TokenError("invalid_grant");

        var idClaims = new Dictionary<string, object> { ["auth_time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() };
        if (grant.Nonce is { Length: > 0 } nonce) idClaims["nonce"] = nonce;
        return Results.Json(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["access_token"] = AccessToken(grant.Subject),
            ["expires_in"] = (int)AccessTokenLifetime.TotalSeconds,
            ["id_token"] = Sign(grant.Subject, ClientId, TimeSpan.FromMinutes(5), idClaims),
        });
    }

    /// <summary>What a provider refuses before asking anyone to sign in: an unknown client, or no PKCE with S256.</summary>
    static IResult? Refusal(IReadOnlyDictionary<string, string> request)
    {
        if (request.GetValueOrDefault("client_id") != ClientId || request.GetValueOrDefault("redirect_uri") is not { Length: > 0 } redirect)
        {
            return Results.BadRequest("unknown client or no redirect_uri");
        }

        var missing = request.GetValueOrDefault("response_type") != "code" ? "response_type must be code"
            : request.GetValueOrDefault("code_challenge_method") != "S256" ? "PKCE with code_challenge_method S256 is required"
            : request.GetValueOrDefault("code_challenge") is not { Length: 43 } ? "code_challenge must be a base64url SHA-256"
            : null;
        return missing is null ? null
            : Results.Redirect($"{redirect}?error=invalid_request&error_description={Uri.EscapeDataString(missing)}&state={Uri.EscapeDataString(request.GetValueOrDefault("state") ?? "")}");
    }

    static (string? Id, string? Secret) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        if (request.Headers.Authorization.ToString() is { } header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }

        return (form["client_id"].ToString(), form["client_secret"].ToString());
    }

    static IResult TokenError(string error, HttpStatusCode status = HttpStatusCode.BadRequest) =>
        Results.Json(new { error }, statusCode: (int)status);

    string Sign(string subject, string audience, TimeSpan lifetime, Dictionary<string, object> claims)
    {
        var now = DateTime.UtcNow;
        claims["sub"] = subject;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    static string Html(string value) => WebUtility.HtmlEncode(value);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Rsa.Dispose();
    }

    sealed record Grant(string Subject, string RedirectUri, string CodeChallenge, string? Nonce);
}

/// <summary>An authorization request's parameters, as the client sent them.</summary>
public sealed record AuthorizationRequest(IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string name] => Parameters.GetValueOrDefault(name);
}

/// <summary>A code redeemed: for whom, with which verifier, and whether it matched the code's challenge.</summary>
public sealed record TokenRedemption(string Subject, string Verifier, bool VerifierMatched);

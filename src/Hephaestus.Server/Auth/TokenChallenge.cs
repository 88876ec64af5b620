using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.Tokens;

namespace Hephaestus.Server.Auth;

/// <summary>The token was valid but its subject is no user: erased (GDPR erasure removes the row) or never provisioned.</summary>
public sealed class UnknownAccountException() : Exception("The account this token names does not exist.");

/// <summary>
/// A 401 is a problem detail that says why (no token, an expired or invalid one, an account that no longer exists), with
/// the WWW-Authenticate header RFC 6750 asks for, instead of an empty body.
/// </summary>
public static class TokenChallenge
{
    /// <summary>The problem type of a token whose account does not exist, so a client can tell it from an expired token.</summary>
    public const string UnknownAccountType = "urn:hephaestus:problem:unknown-account";

    public static async Task WriteAsync(JwtBearerChallengeContext challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        challenge.HandleResponse();
        var (type, title, detail) = challenge.AuthenticateFailure switch
        {
            null => ((string?)null, "Unauthorized", "This needs a bearer token: send Authorization: Bearer <token>."),
            UnknownAccountException => (UnknownAccountType, "Unknown account",
                "The account this token names no longer exists (it was erased) or was never provisioned; sign in as an existing user."),
            SecurityTokenExpiredException expired => (null, "Unauthorized",
                $"The token expired at {expired.Expires:O}; get a new one."),
            _ => (null, "Unauthorized", "The token is not valid here (its signature, issuer, audience or lifetime); get a new one."),
        };
        var context = challenge.HttpContext;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = challenge.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status401Unauthorized, Type = type, Title = title, Detail = detail },
        });
    }
}

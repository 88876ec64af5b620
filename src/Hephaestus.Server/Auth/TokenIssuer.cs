using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hephaestus.Server.Auth;

/// <summary>Mints HS256 tokens for the embedded default and for tests; production tokens come from the identity provider.</summary>
public static class TokenIssuer
{
    /// <param name="claims">Claims beside the subject; the service ignores them (tests show that it does).</param>
    public static string Issue(byte[] key, string subject, TimeSpan lifetime, string issuer = AuthHosting.DefaultIssuer,
        string audience = AuthHosting.DefaultAudience, DateTime? now = null, IEnumerable<Claim>? claims = null)
    {
        var issuedAt = now ?? DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), .. claims ?? []]),
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}

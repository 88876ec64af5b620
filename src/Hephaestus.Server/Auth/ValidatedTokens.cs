using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;

namespace Hephaestus.Server.Auth;

/// <summary>
/// Tokens whose signature, issuer, audience and lifetime were checked, by the SHA-256 of the token, so a client sending
/// the same bearer token on every request pays for its validation once (a JWT's validation was the largest part of a
/// cheap read's CPU; docs/benchmarks.md, "Where a request's time goes"). A hit is as good as a validation: it holds
/// only what validation proved (the subject, and until when the token may be used), never the roles: the subject is
/// resolved to a user again through <see cref="ActorResolver"/>, so erasure and role changes apply as before.
/// </summary>
/// <remarks>
/// Keyed by a cryptographic hash, not the token, so the cache holds no credential, and no other string can be made
/// to find a validated token's entry. An entry lives until the token expires and at most <see cref="CacheFor"/>, so a
/// key an issuer withdraws stops accepting its tokens within that time here too; the number of entries is bounded.
/// </remarks>
public sealed class ValidatedTokens : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);
    public const int MaxEntries = 100_000;

    readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });
    readonly TimeProvider _time;

    public ValidatedTokens(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The subject of a token validated before and not yet expired; null when it must be validated.</summary>
    public string? Find(string token) =>
        _cache.TryGetValue(Key(token), out Entry? entry) && entry!.ExpiresAt > _time.GetUtcNow() ? entry.Subject : null;

    /// <summary>Remembers a token that passed validation (its subject and its expiry, <c>exp</c>).</summary>
    public void Remember(string token, string subject, DateTimeOffset expiresAt)
    {
        var now = _time.GetUtcNow();
        if (expiresAt <= now) return;
        // A duration, not a moment: the cache keeps its own clock, and the expiry that matters is checked by Find.
        var lifetime = expiresAt - now < CacheFor ? expiresAt - now : CacheFor;
        _cache.Set(Key(token), new Entry(subject, expiresAt), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = lifetime, Size = 1 });
    }

    /// <summary>The token of an <c>Authorization: Bearer …</c> header, as the JWT bearer handler reads it; null without one.</summary>
    public static string? BearerToken(StringValues authorization)
    {
        var value = authorization.Count == 1 ? authorization[0] : null;
        if (value is null || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = value["Bearer ".Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    static string Key(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return Convert.ToBase64String(hash);
    }

    public void Dispose() => _cache.Dispose();

    sealed record Entry(string Subject, DateTimeOffset ExpiresAt);
}

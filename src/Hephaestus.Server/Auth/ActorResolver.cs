using Hephaestus.Data;
using Hephaestus.Data.Identity;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Hephaestus.Server.Auth;

/// <summary>Maps a token subject to the user and their roles, through the one SECURITY DEFINER door, with a short cache.</summary>
public sealed class ActorResolver(NpgsqlDataSource dataSource, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    public async Task<Actor?> ResolveAsync(string subject, CancellationToken ct)
    {
        if (cache.TryGetValue(CacheKey(subject), out Actor? cached)) return cached;
        var actor = await ActorLookup.FindAsync(dataSource, subject, ct);
        // Unknown subjects are cached too, briefly, so a flood of unprovisioned tokens costs one query each 30 s.
        cache.Set(CacheKey(subject), actor, CacheFor);
        return actor;
    }

    /// <summary>Called after a user's roles or subject change in this process, so they apply at once here.</summary>
    public void Forget(string subject) => cache.Remove(CacheKey(subject));

    static string CacheKey(string subject) => "actor:" + subject;
}

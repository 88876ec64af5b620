using System.Text.Json;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>
/// The SQLSTATEs Hephaestus's own triggers and functions raise (class HE, outside PostgreSQL's reserved classes),
/// beside the data layer whose Sql/*.sql files raise them. The HTTP edge maps each to a problem detail.
/// </summary>
public static class HephaestusSqlStates
{
    /// <summary>An edge would close a cycle in a graph that must stay acyclic; HINT is the cycle as a JSON array of ids.</summary>
    public const string Cycle = "HE001";

    /// <summary>A published or retired path version (or something in it) was to be changed.</summary>
    public const string Frozen = "HE002";

    /// <summary>The levels of a mastery scale that recorded mastery or evidence refers to were to be changed.</summary>
    public const string ScaleInUse = "HE003";

    /// <summary>A content version's status was to move along no edge of the review lifecycle; HINT is {"from", "to"}.</summary>
    public const string IllegalTransition = "HE004";

    /// <summary>The cycle travels in HINT: Npgsql redacts DETAIL (it may hold row data) unless told otherwise.</summary>
    public static IReadOnlyList<Guid> CycleIds(PostgresException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        try
        {
            return string.IsNullOrEmpty(e.Hint) ? [] : JsonSerializer.Deserialize<List<Guid>>(e.Hint) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>Which way a walk of the prerequisite graph goes from a skill.</summary>
public enum PrerequisiteDirection
{
    /// <summary>To what the skill requires.</summary>
    Prerequisites,

    /// <summary>To what requires the skill.</summary>
    Dependents,
}

/// <summary>Adding an edge: made now, there already, or refused because it would close a cycle.</summary>
public sealed record EdgeAddition(PrerequisiteEdge? Edge, bool Created, SkillCycle? Cycle);

/// <summary>
/// The skill prerequisite DAG, across frameworks. The trigger skill_prerequisites_acyclic refuses an edge that closes a
/// cycle (serialized by an advisory lock, so two concurrent edges cannot close one together); the cycle comes back
/// named by skill codes. Graph queries are recursive CTEs.
/// </summary>
public static class PrerequisiteStore
{
    /// <summary>Idempotent: an edge that already exists is returned as it is. Both skills must exist (the caller checks).</summary>
    public static async Task<EdgeAddition> AddAsync(ActorScope scope, Guid skillId, Guid prerequisiteId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await scope.Transaction.SaveAsync("edge", ct);
        bool created;
        try
        {
            await using var insert = scope.Command("""
                INSERT INTO hephaestus.skill_prerequisites (skill_id, prerequisite_id) VALUES ($1, $2)
                ON CONFLICT (skill_id, prerequisite_id) DO NOTHING
                """);
            insert.Parameters.Add(Uuid(skillId));
            insert.Parameters.Add(Uuid(prerequisiteId));
            created = await insert.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.Cycle)
        {
            await scope.Transaction.RollbackAsync("edge", ct);
            var ids = HephaestusSqlStates.CycleIds(e);
            var codes = await SkillStore.CodesAsync(scope, ids, ct);
            return new EdgeAddition(null, false, new SkillCycle(ids.Select(id => codes.GetValueOrDefault(id, id.ToString())).ToList(), ids));
        }

        await using var read = scope.Command("SELECT created_at FROM hephaestus.skill_prerequisites WHERE skill_id = $1 AND prerequisite_id = $2");
        read.Parameters.Add(Uuid(skillId));
        read.Parameters.Add(Uuid(prerequisiteId));
        var edge = new PrerequisiteEdge(skillId, prerequisiteId, (DateTime)(await read.ExecuteScalarAsync(ct))!);
        return new EdgeAddition(edge, created, null);
    }

    /// <summary>False when there was no such edge.</summary>
    public static async Task<bool> RemoveAsync(ActorScope scope, Guid skillId, Guid prerequisiteId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var delete = scope.Command("DELETE FROM hephaestus.skill_prerequisites WHERE skill_id = $1 AND prerequisite_id = $2");
        delete.Parameters.Add(Uuid(skillId));
        delete.Parameters.Add(Uuid(prerequisiteId));
        return await delete.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>
    /// Skills reached from this one along the edges (depth 1 only unless transitive), each once at its smallest depth.
    /// UNION on (id, depth) keeps a diamond-shaped DAG from multiplying paths.
    /// </summary>
    public static async Task<IReadOnlyList<RelatedSkill>> WalkAsync(
        ActorScope scope, Guid skillId, PrerequisiteDirection direction, bool transitive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var (from, to) = direction == PrerequisiteDirection.Prerequisites ? ("skill_id", "prerequisite_id") : ("prerequisite_id", "skill_id");
        await using var command = scope.Command($"""
            WITH RECURSIVE walk (id, depth) AS (
                SELECT p.{to}, 1 FROM hephaestus.skill_prerequisites p WHERE p.{from} = $1
                UNION
                SELECT p.{to}, w.depth + 1 FROM walk w JOIN hephaestus.skill_prerequisites p ON p.{from} = w.id WHERE $2
            )
            SELECT s.id, s.code, s.title, s.framework_id, f.code, min(w.depth)
            FROM walk w
            JOIN hephaestus.skills s ON s.id = w.id
            JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            GROUP BY s.id, f.code
            ORDER BY min(w.depth), f.code, s.code
            """);
        command.Parameters.Add(Uuid(skillId));
        command.Parameters.Add(Bool(transitive));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var related = new List<RelatedSkill>();
        while (await reader.ReadAsync(ct))
        {
            related.Add(new RelatedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5)));
        }

        return related;
    }
}

using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// The skill prerequisite DAG, across frameworks. The trigger skill_prerequisites_acyclic refuses an edge that closes a
/// cycle (serialized by an advisory lock, so two concurrent edges cannot close one together); the cycle comes back
/// named by skill codes. Graph queries are recursive CTEs.
/// </summary>
internal static class PrerequisitesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var skills = api.MapGroup("/skills").WithTags("Competencies");
        skills.MapPut("/{skillId:guid}/prerequisites/{prerequisiteId:guid}", Add).WithName("AddSkillPrerequisite");
        skills.MapDelete("/{skillId:guid}/prerequisites/{prerequisiteId:guid}", Remove).WithName("RemoveSkillPrerequisite");
        skills.MapGet("/{skillId:guid}/prerequisites", Prerequisites).WithName("GetSkillPrerequisites");
        skills.MapGet("/{skillId:guid}/dependents", Dependents).WithName("GetSkillDependents");
    }

    /// <summary>Idempotent: 201 when the edge is new, 200 when it already existed.</summary>
    static async Task<Results<Created<PrerequisiteEdge>, Ok<PrerequisiteEdge>, ProblemHttpResult>> Add(
        Guid skillId, Guid prerequisiteId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit skill prerequisites.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var codes = await CompetencySql.CodesAsync(scope, [skillId, prerequisiteId], ct);
        if (!codes.ContainsKey(skillId)) return Problems.NotFound("skill", skillId);
        if (!codes.ContainsKey(prerequisiteId)) return Problems.NotFound("skill", prerequisiteId);
        if (skillId == prerequisiteId) return Cycle([codes[skillId], codes[skillId]], [skillId, skillId]);

        await scope.Transaction.SaveAsync("edge", ct);
        bool created;
        try
        {
            await using var insert = scope.Command("""
                INSERT INTO hephaestus.skill_prerequisites (skill_id, prerequisite_id) VALUES ($1, $2)
                ON CONFLICT (skill_id, prerequisite_id) DO NOTHING
                """);
            insert.Parameters.Add(SqlParameters.Uuid(skillId));
            insert.Parameters.Add(SqlParameters.Uuid(prerequisiteId));
            created = await insert.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.Cycle)
        {
            await scope.Transaction.RollbackAsync("edge", ct);
            var ids = HephaestusSqlStates.CycleIds(e);
            var cycleCodes = await CompetencySql.CodesAsync(scope, ids, ct);
            return Cycle(ids.Select(id => cycleCodes.GetValueOrDefault(id, id.ToString())).ToList(), ids);
        }

        PrerequisiteEdge edge;
        await using (var read = scope.Command("SELECT created_at FROM hephaestus.skill_prerequisites WHERE skill_id = $1 AND prerequisite_id = $2"))
        {
            read.Parameters.Add(SqlParameters.Uuid(skillId));
            read.Parameters.Add(SqlParameters.Uuid(prerequisiteId));
            edge = new PrerequisiteEdge(skillId, prerequisiteId, (DateTime)(await read.ExecuteScalarAsync(ct))!);
        }

        await scope.CommitAsync(ct);
        return created ? TypedResults.Created($"/api/v1/skills/{skillId}/prerequisites/{prerequisiteId}", edge) : TypedResults.Ok(edge);
    }

    /// <summary>The cycle reads in the direction of "requires": A → C means A requires C.</summary>
    static ProblemHttpResult Cycle(IReadOnlyList<string> codes, IReadOnlyList<Guid> ids) => Problems.Conflict(
        $"The prerequisite would close a cycle: {string.Join(" → ", codes)}.",
        new Dictionary<string, object?> { ["cycle"] = codes, ["cycleIds"] = ids });

    static async Task<Results<NoContent, ProblemHttpResult>> Remove(Guid skillId, Guid prerequisiteId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit skill prerequisites.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var delete = scope.Command("DELETE FROM hephaestus.skill_prerequisites WHERE skill_id = $1 AND prerequisite_id = $2");
        delete.Parameters.Add(SqlParameters.Uuid(skillId));
        delete.Parameters.Add(SqlParameters.Uuid(prerequisiteId));
        if (await delete.ExecuteNonQueryAsync(ct) == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"Skill {skillId} has no prerequisite {prerequisiteId}.");
        }

        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    static Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> Prerequisites(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive = false) =>
        WalkAsync(skillId, http, db, ct, transitive, from: "skill_id", to: "prerequisite_id");

    static Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> Dependents(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive = false) =>
        WalkAsync(skillId, http, db, ct, transitive, from: "prerequisite_id", to: "skill_id");

    /// <summary>
    /// Skills reached from this one along the edges (depth 1 only unless transitive), each once at its smallest depth.
    /// UNION on (id, depth) keeps a diamond-shaped DAG from multiplying paths.
    /// </summary>
    static async Task<Results<Ok<IReadOnlyList<RelatedSkill>>, ProblemHttpResult>> WalkAsync(
        Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, bool transitive, string from, string to)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await CompetencySql.ExistsAsync(scope, "SELECT 1 FROM hephaestus.skills WHERE id = $1", skillId, ct)) return Problems.NotFound("skill", skillId);
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
        command.Parameters.Add(SqlParameters.Uuid(skillId));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = transitive });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var related = new List<RelatedSkill>();
        while (await reader.ReadAsync(ct))
        {
            related.Add(new RelatedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5)));
        }

        return TypedResults.Ok<IReadOnlyList<RelatedSkill>>(related);
    }
}

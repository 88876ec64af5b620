using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Competency frameworks: a mastery scale, a default mastery method, and a tree of skills.</summary>
internal static class FrameworksApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var frameworks = api.MapGroup("/frameworks").WithTags("Competencies");
        frameworks.MapPost("/", Create).WithName("CreateFramework");
        frameworks.MapGet("/", List).WithName("ListFrameworks");
        frameworks.MapGet("/{frameworkId:guid}", Get).WithName("GetFramework");
        frameworks.MapPatch("/{frameworkId:guid}", Patch).WithName("PatchFramework");
        frameworks.MapGet("/{frameworkId:guid}/topological-order", TopologicalOrder).WithName("GetFrameworkTopologicalOrder");
    }

    const string Columns = "f.id, f.code, f.title, f.description, f.scale_id, f.mastery_method, f.mastery_parameters::text, f.created_at";

    static async Task<Results<Created<FrameworkResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateFrameworkRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create competency frameworks.");
        var v = new Validation().Text("title", request.Title, 1, 200);
        CompetencySql.Code(v, "code", request.Code);
        CompetencySql.Method(v, request.MasteryMethod, request.MasteryParameters);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var scaleId = request.ScaleId ?? CompetencySql.DefaultScaleId;
        if (!await CompetencySql.ExistsAsync(scope, "SELECT 1 FROM hephaestus.mastery_scales WHERE id = $1", scaleId, ct))
        {
            v.Add("scaleId", $"no mastery scale with id {scaleId}");
        }

        if (!v.IsValid) return v.ToProblem();
        var id = Guid.CreateVersion7();
        await using (var insert = scope.Command("""
            INSERT INTO hephaestus.competency_frameworks (id, code, title, description, scale_id, mastery_method, mastery_parameters)
            VALUES ($1, $2, $3, $4, $5, coalesce($6, 'bkt'), coalesce($7, '{}'))
            ON CONFLICT (code) DO NOTHING
            """))
        {
            insert.Parameters.Add(SqlParameters.Uuid(id));
            insert.Parameters.Add(SqlParameters.Text(request.Code));
            insert.Parameters.Add(SqlParameters.Text(request.Title));
            insert.Parameters.Add(SqlParameters.Text(request.Description));
            insert.Parameters.Add(SqlParameters.Uuid(scaleId));
            insert.Parameters.Add(SqlParameters.Text(request.MasteryMethod));
            insert.Parameters.Add(CompetencySql.Jsonb(request.MasteryParameters));
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                return Problems.Conflict($"A competency framework with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" });
            }
        }

        var framework = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/frameworks/{id}", framework!);
    }

    static async Task<Ok<IReadOnlyList<FrameworkSummary>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await using var command = scope.Command($"""
            SELECT {Columns}, (SELECT count(*)::int FROM hephaestus.skills s WHERE s.framework_id = f.id)
            FROM hephaestus.competency_frameworks f ORDER BY f.code
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var frameworks = new List<FrameworkSummary>();
        while (await reader.ReadAsync(ct))
        {
            frameworks.Add(new FrameworkSummary(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetGuid(4), reader.GetString(5), CompetencySql.ParseJson(reader.GetString(6)), reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt32(8)));
        }

        return TypedResults.Ok<IReadOnlyList<FrameworkSummary>>(frameworks);
    }

    static async Task<Results<Ok<FrameworkResponse>, ProblemHttpResult>> Get(Guid frameworkId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var framework = await ReadAsync(scope, frameworkId, ct);
        return framework is null ? Problems.NotFound("competency framework", frameworkId) : TypedResults.Ok(framework);
    }

    /// <summary>
    /// Changes title, description, scale, method or parameters. Pointing to another scale (say a new version)
    /// re-classifies every learner's recorded mastery of the framework's skills on the new scale in the same
    /// transaction (hephaestus.reclassify_framework_mastery), so level names and "mastered" are never stale.
    /// </summary>
    static async Task<Results<Ok<FrameworkResponse>, ValidationProblem, ProblemHttpResult>> Patch(
        Guid frameworkId, PatchFrameworkRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit competency frameworks.");
        var v = new Validation().Text("title", request.Title, 1, 200, required: false);
        CompetencySql.Method(v, request.MasteryMethod, request.MasteryParameters);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        Guid currentScale;
        await using (var lockFramework = scope.Command("SELECT scale_id FROM hephaestus.competency_frameworks WHERE id = $1 FOR UPDATE"))
        {
            lockFramework.Parameters.Add(SqlParameters.Uuid(frameworkId));
            if (await lockFramework.ExecuteScalarAsync(ct) is not Guid scale) return Problems.NotFound("competency framework", frameworkId);
            currentScale = scale;
        }

        if (request.ScaleId is { } scaleId && !await CompetencySql.ExistsAsync(scope, "SELECT 1 FROM hephaestus.mastery_scales WHERE id = $1", scaleId, ct))
        {
            v.Add("scaleId", $"no mastery scale with id {scaleId}");
        }

        if (!v.IsValid) return v.ToProblem();
        await using (var update = scope.Command("""
            UPDATE hephaestus.competency_frameworks SET
                title = coalesce($2, title), description = coalesce($3, description), scale_id = coalesce($4, scale_id),
                mastery_method = coalesce($5, mastery_method), mastery_parameters = coalesce($6, mastery_parameters)
            WHERE id = $1
            """))
        {
            update.Parameters.Add(SqlParameters.Uuid(frameworkId));
            update.Parameters.Add(SqlParameters.Text(request.Title));
            update.Parameters.Add(SqlParameters.Text(request.Description));
            update.Parameters.Add(SqlParameters.NullableUuid(request.ScaleId));
            update.Parameters.Add(SqlParameters.Text(request.MasteryMethod));
            update.Parameters.Add(CompetencySql.Jsonb(request.MasteryParameters));
            await update.ExecuteNonQueryAsync(ct);
        }

        if (request.ScaleId is { } newScale && newScale != currentScale)
        {
            await using var reclassify = scope.Command("SELECT hephaestus.reclassify_framework_mastery($1)");
            reclassify.Parameters.Add(SqlParameters.Uuid(frameworkId));
            await reclassify.ExecuteScalarAsync(ct);
        }

        var framework = await ReadAsync(scope, frameworkId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(framework!);
    }

    /// <summary>The framework and its skills in one round trip; the flat rows become a tree here.</summary>
    public static async Task<FrameworkResponse?> ReadAsync(ActorScope scope, Guid frameworkId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT {Columns} FROM hephaestus.competency_frameworks f WHERE f.id = $1") { Parameters = { SqlParameters.Uuid(frameworkId) } },
                new NpgsqlBatchCommand("""
                    SELECT id, parent_id, code, title, description, attributes::text, position, mastery_method, mastery_parameters::text
                    FROM hephaestus.skills WHERE framework_id = $1 ORDER BY position, code
                    """)
                {
                    Parameters = { SqlParameters.Uuid(frameworkId) },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var header = (Id: reader.GetGuid(0), Code: reader.GetString(1), Title: reader.GetString(2), Description: reader.IsDBNull(3) ? null : reader.GetString(3),
            Scale: reader.GetGuid(4), Method: reader.GetString(5), Parameters: CompetencySql.ParseJson(reader.GetString(6)), CreatedAt: reader.GetFieldValue<DateTimeOffset>(7));
        await reader.NextResultAsync(ct);

        // Rows arrive ordered by position then code, so each children list is built in order.
        var children = new Dictionary<Guid, List<SkillNode>>();
        var rows = new List<(Guid Id, Guid? Parent, string Code, string Title, string? Description, string Attributes, int Position, string? Method, string? Parameters)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        foreach (var row in rows) children[row.Id] = [];
        var roots = new List<SkillNode>();
        foreach (var row in rows)
        {
            var node = new SkillNode(row.Id, row.Code, row.Title, row.Description, CompetencySql.ParseJson(row.Attributes), row.Position, row.Method,
                row.Parameters is null ? null : CompetencySql.ParseJson(row.Parameters), children[row.Id]);
            (row.Parent is { } parent ? children[parent] : roots).Add(node);
        }

        return new FrameworkResponse(header.Id, header.Code, header.Title, header.Description, header.Scale, header.Method, header.Parameters, header.CreatedAt, roots);
    }

    /// <summary>
    /// The framework's skills and, transitively, their prerequisites from any framework (marked external), in an order
    /// where every prerequisite comes first: by longest prerequisite chain below the skill, ties broken by code.
    /// </summary>
    static async Task<Results<Ok<IReadOnlyList<OrderedSkill>>, ProblemHttpResult>> TopologicalOrder(
        Guid frameworkId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await CompetencySql.ExistsAsync(scope, "SELECT 1 FROM hephaestus.competency_frameworks WHERE id = $1", frameworkId, ct))
        {
            return Problems.NotFound("competency framework", frameworkId);
        }

        await using var command = scope.Command("""
            WITH RECURSIVE in_scope (id) AS (
                SELECT id FROM hephaestus.skills WHERE framework_id = $1
                UNION
                SELECT p.prerequisite_id FROM in_scope x JOIN hephaestus.skill_prerequisites p ON p.skill_id = x.id
            ), chain (id, level) AS (
                SELECT id, 0 FROM in_scope
                UNION
                SELECT p.skill_id, c.level + 1
                FROM chain c JOIN hephaestus.skill_prerequisites p ON p.prerequisite_id = c.id
                WHERE p.skill_id IN (SELECT id FROM in_scope)
            )
            SELECT s.id, s.code, s.title, s.framework_id, f.code, max(c.level)::int AS level, s.framework_id <> $1,
                   coalesce((SELECT array_agg(p.prerequisite_id ORDER BY p.prerequisite_id) FROM hephaestus.skill_prerequisites p WHERE p.skill_id = s.id), '{}')
            FROM chain c
            JOIN hephaestus.skills s ON s.id = c.id
            JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            GROUP BY s.id, f.code
            ORDER BY level, s.code, f.code, s.id
            """);
        command.Parameters.Add(SqlParameters.Uuid(frameworkId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var order = new List<OrderedSkill>();
        while (await reader.ReadAsync(ct))
        {
            order.Add(new OrderedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetBoolean(6), reader.GetFieldValue<Guid[]>(7)));
        }

        return TypedResults.Ok<IReadOnlyList<OrderedSkill>>(order);
    }
}

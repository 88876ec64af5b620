using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Skills: nodes of a framework's tree, with free attributes (JSONB, GIN-indexed) and an optional mastery method.</summary>
internal static class SkillsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/frameworks/{frameworkId:guid}/skills", Create).WithTags("Competencies").WithName("CreateSkill");
        var skills = api.MapGroup("/skills").WithTags("Competencies");
        skills.MapGet("/", Search).WithName("SearchSkills");
        skills.MapGet("/{skillId:guid}", Get).WithName("GetSkill");
        skills.MapPatch("/{skillId:guid}", Patch).WithName("PatchSkill");
        skills.MapPost("/{skillId:guid}/move", Move).WithName("MoveSkill");
        skills.MapDelete("/{skillId:guid}", Delete).WithName("DeleteSkill");
    }

    static void Attributes(Validation v, JsonElement? attributes)
    {
        if (attributes is { ValueKind: not JsonValueKind.Object }) v.Add("attributes", "must be a JSON object");
    }

    /// <summary>The parent must be a skill of the same framework; parameters are validated against the method they will run under.</summary>
    static async Task<Results<Created<SkillResponse>, ValidationProblem, ProblemHttpResult>> Create(
        Guid frameworkId, CreateSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create skills.");
        var v = new Validation().Text("title", request.Title, 1, 200);
        CompetencySql.Code(v, "code", request.Code);
        Attributes(v, request.Attributes);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        string frameworkMethod;
        await using (var framework = scope.Command("SELECT mastery_method FROM hephaestus.competency_frameworks WHERE id = $1"))
        {
            framework.Parameters.Add(SqlParameters.Uuid(frameworkId));
            if (await framework.ExecuteScalarAsync(ct) is not string method) return Problems.NotFound("competency framework", frameworkId);
            frameworkMethod = method;
        }

        CompetencySql.Method(v, request.MasteryMethod, request.MasteryParameters, frameworkMethod);
        if (request.ParentId is { } parentId && !await SkillInFrameworkAsync(scope, parentId, frameworkId, ct))
        {
            v.Add("parentId", $"no skill with id {parentId} in this framework");
        }

        if (!v.IsValid) return v.ToProblem();
        var id = Guid.CreateVersion7();
        await using (var insert = scope.Command("""
            INSERT INTO hephaestus.skills (id, framework_id, parent_id, code, title, description, attributes, position, mastery_method, mastery_parameters)
            SELECT $1, $2, $3, $4, $5, $6, coalesce($7, '{}'),
                   -- Without a position the skill goes last among its siblings.
                   coalesce($8, (SELECT coalesce(max(position) + 1, 0) FROM hephaestus.skills
                                 WHERE framework_id = $2 AND parent_id IS NOT DISTINCT FROM $3)),
                   $9, $10
            ON CONFLICT (framework_id, code) DO NOTHING
            """))
        {
            insert.Parameters.Add(SqlParameters.Uuid(id));
            insert.Parameters.Add(SqlParameters.Uuid(frameworkId));
            insert.Parameters.Add(SqlParameters.NullableUuid(request.ParentId));
            insert.Parameters.Add(SqlParameters.Text(request.Code));
            insert.Parameters.Add(SqlParameters.Text(request.Title));
            insert.Parameters.Add(SqlParameters.Text(request.Description));
            insert.Parameters.Add(CompetencySql.Jsonb(request.Attributes));
            insert.Parameters.Add(SqlParameters.NullableInt(request.Position));
            insert.Parameters.Add(SqlParameters.Text(request.MasteryMethod));
            insert.Parameters.Add(CompetencySql.Jsonb(request.MasteryParameters));
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                return Problems.Conflict($"This framework already has a skill with code '{request.Code}'.", new Dictionary<string, object?> { ["field"] = "code" });
            }
        }

        var skill = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/skills/{id}", skill!);
    }

    static async Task<bool> SkillInFrameworkAsync(ActorScope scope, Guid skillId, Guid frameworkId, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT 1 FROM hephaestus.skills WHERE id = $1 AND framework_id = $2");
        command.Parameters.Add(SqlParameters.Uuid(skillId));
        command.Parameters.Add(SqlParameters.Uuid(frameworkId));
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    static async Task<Results<Ok<SkillResponse>, ProblemHttpResult>> Get(Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var skill = await ReadAsync(scope, skillId, ct);
        return skill is null ? Problems.NotFound("skill", skillId) : TypedResults.Ok(skill);
    }

    /// <summary>
    /// Skills whose attributes contain the given JSON object (<c>attributes @> $1</c>, served by the GIN index
    /// ix_skills_attributes), optionally within one framework; ordered by framework code and code, 100 at most per page.
    /// </summary>
    static async Task<Results<Ok<Page<SkillRef>>, ValidationProblem>> Search(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, string? attributes = null, Guid? framework = null, int offset = 0)
    {
        var v = new Validation();
        string? filter = null;
        if (attributes is not null)
        {
            try
            {
                using var parsed = JsonDocument.Parse(attributes);
                if (parsed.RootElement.ValueKind != JsonValueKind.Object) v.Add("attributes", "must be a JSON object, e.g. {\"grade\":7}");
                filter = attributes;
            }
            catch (JsonException)
            {
                v.Add("attributes", "is not valid JSON; send a URL-encoded JSON object, e.g. {\"grade\":7}");
            }
        }

        if (offset < 0) v.Add("offset", "must not be negative");
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await using var command = scope.Command("""
            SELECT s.id, s.code, s.title, s.framework_id, f.code
            FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE ($1::jsonb IS NULL OR s.attributes @> $1::jsonb) AND ($2::uuid IS NULL OR s.framework_id = $2)
            ORDER BY f.code, s.code
            OFFSET $3 LIMIT 101
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
        command.Parameters.Add(SqlParameters.NullableUuid(framework));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = offset });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var skills = new List<SkillRef>();
        while (await reader.ReadAsync(ct)) skills.Add(new SkillRef(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4)));
        return TypedResults.Ok(new Page<SkillRef>(skills.Take(100).ToList(), skills.Count > 100 ? (offset + 100).ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    static async Task<Results<Ok<SkillResponse>, ValidationProblem, ProblemHttpResult>> Patch(
        Guid skillId, PatchSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit skills.");
        var v = new Validation().Text("title", request.Title, 1, 200, required: false);
        Attributes(v, request.Attributes);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        string effectiveMethod;
        await using (var lockSkill = scope.Command("""
            SELECT coalesce(s.mastery_method, f.mastery_method)
            FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE s.id = $1 FOR UPDATE OF s
            """))
        {
            lockSkill.Parameters.Add(SqlParameters.Uuid(skillId));
            if (await lockSkill.ExecuteScalarAsync(ct) is not string method) return Problems.NotFound("skill", skillId);
            effectiveMethod = method;
        }

        CompetencySql.Method(v, request.MasteryMethod, request.MasteryParameters, effectiveMethod);
        if (!v.IsValid) return v.ToProblem();
        await using (var update = scope.Command("""
            UPDATE hephaestus.skills SET
                title = coalesce($2, title), description = coalesce($3, description), attributes = coalesce($4, attributes),
                position = coalesce($5, position), mastery_method = coalesce($6, mastery_method), mastery_parameters = coalesce($7, mastery_parameters)
            WHERE id = $1
            """))
        {
            update.Parameters.Add(SqlParameters.Uuid(skillId));
            update.Parameters.Add(SqlParameters.Text(request.Title));
            update.Parameters.Add(SqlParameters.Text(request.Description));
            update.Parameters.Add(CompetencySql.Jsonb(request.Attributes));
            update.Parameters.Add(SqlParameters.NullableInt(request.Position));
            update.Parameters.Add(SqlParameters.Text(request.MasteryMethod));
            update.Parameters.Add(CompetencySql.Jsonb(request.MasteryParameters));
            await update.ExecuteNonQueryAsync(ct);
        }

        var skill = await ReadAsync(scope, skillId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(skill!);
    }

    /// <summary>
    /// Moves a skill and its whole subtree: one UPDATE of the skill's parent_id (descendants hang on it). Moving under
    /// its own descendant is refused by the trigger skills_tree_has_no_loop (HE001), named here by skill codes.
    /// </summary>
    static async Task<Results<Ok<SkillResponse>, ValidationProblem, ProblemHttpResult>> Move(
        Guid skillId, MoveSkillRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins move skills.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        Guid frameworkId;
        await using (var find = scope.Command("SELECT framework_id FROM hephaestus.skills WHERE id = $1"))
        {
            find.Parameters.Add(SqlParameters.Uuid(skillId));
            if (await find.ExecuteScalarAsync(ct) is not Guid framework) return Problems.NotFound("skill", skillId);
            frameworkId = framework;
        }

        if (request.ParentId is { } parentId && !await SkillInFrameworkAsync(scope, parentId, frameworkId, ct))
        {
            return new Validation().Add("parentId", $"no skill with id {parentId} in this skill's framework").ToProblem();
        }

        await scope.Transaction.SaveAsync("move", ct);
        try
        {
            await using var move = scope.Command("""
                UPDATE hephaestus.skills SET parent_id = $2,
                    position = coalesce($3, (SELECT coalesce(max(position) + 1, 0) FROM hephaestus.skills
                                             WHERE framework_id = $4 AND parent_id IS NOT DISTINCT FROM $2 AND id <> $1))
                WHERE id = $1
                """);
            move.Parameters.Add(SqlParameters.Uuid(skillId));
            move.Parameters.Add(SqlParameters.NullableUuid(request.ParentId));
            move.Parameters.Add(SqlParameters.NullableInt(request.Position));
            move.Parameters.Add(SqlParameters.Uuid(frameworkId));
            await move.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (request.ParentId is not null && e.SqlState is HephaestusSqlStates.Cycle or PostgresErrorCodes.CheckViolation)
        {
            await scope.Transaction.RollbackAsync("move", ct);
            var codes = await CompetencySql.CodesAsync(scope, [skillId, request.ParentId!.Value], ct);
            var (skill, parent) = (codes[skillId], codes[request.ParentId.Value]);
            return Problems.Conflict(skillId == request.ParentId
                    ? $"Skill '{skill}' cannot be its own parent."
                    : $"Skill '{skill}' cannot move under '{parent}', which is in its own subtree.",
                new Dictionary<string, object?> { ["field"] = "parentId", ["cycle"] = new[] { skill, parent } });
        }

        var moved = await ReadAsync(scope, skillId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(moved!);
    }

    /// <summary>
    /// Deletes a skill and its subtree, unless something refers to one of them: learner records (evidence, mastery) or
    /// catalog rows (path steps, items, assessment pools, rubric criteria). Checked by hephaestus.skill_subtree_references,
    /// which sees learner rows that an author cannot.
    /// </summary>
    static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins delete skills.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // Locking the framework (as the tree trigger does) keeps a concurrent move from adding to the subtree meanwhile.
        await using (var lockFramework = scope.Command("""
            SELECT 1 FROM hephaestus.competency_frameworks
            WHERE id = (SELECT framework_id FROM hephaestus.skills WHERE id = $1) FOR UPDATE
            """))
        {
            lockFramework.Parameters.Add(SqlParameters.Uuid(skillId));
            if (await lockFramework.ExecuteScalarAsync(ct) is null) return Problems.NotFound("skill", skillId);
        }

        string[] references;
        await using (var check = scope.Command("SELECT hephaestus.skill_subtree_references($1)"))
        {
            check.Parameters.Add(SqlParameters.Uuid(skillId));
            references = (string[])(await check.ExecuteScalarAsync(ct))!;
        }

        if (references.Length > 0)
        {
            return Problems.Conflict($"The skill (or a skill under it) is referred to by {string.Join(", ", references)}; it cannot be deleted.",
                new Dictionary<string, object?> { ["references"] = references });
        }

        await using (var delete = scope.Command("DELETE FROM hephaestus.skills WHERE id = $1"))
        {
            delete.Parameters.Add(SqlParameters.Uuid(skillId));
            try
            {
                await delete.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                // A reference added since the check (another transaction): still refused, still named.
                return Problems.Conflict($"The skill is still referred to ({e.TableName}); it cannot be deleted.",
                    new Dictionary<string, object?> { ["references"] = new[] { e.TableName } });
            }
        }

        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    public static async Task<SkillResponse?> ReadAsync(ActorScope scope, Guid skillId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    SELECT s.id, s.framework_id, f.code, s.parent_id, s.code, s.title, s.description, s.attributes::text, s.position,
                           s.mastery_method, s.mastery_parameters::text, s.created_at
                    FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
                    WHERE s.id = $1
                    """)
                {
                    Parameters = { SqlParameters.Uuid(skillId) },
                },
                new NpgsqlBatchCommand("""
                    SELECT s.id, s.code, s.title, s.framework_id, f.code
                    FROM hephaestus.skill_prerequisites p
                    JOIN hephaestus.skills s ON s.id = p.prerequisite_id
                    JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
                    WHERE p.skill_id = $1 ORDER BY f.code, s.code
                    """)
                {
                    Parameters = { SqlParameters.Uuid(skillId) },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var s = (Id: reader.GetGuid(0), Framework: reader.GetGuid(1), FrameworkCode: reader.GetString(2), Parent: reader.IsDBNull(3) ? (Guid?)null : reader.GetGuid(3),
            Code: reader.GetString(4), Title: reader.GetString(5), Description: reader.IsDBNull(6) ? null : reader.GetString(6),
            Attributes: CompetencySql.ParseJson(reader.GetString(7)), Position: reader.GetInt32(8), Method: reader.IsDBNull(9) ? null : reader.GetString(9),
            Parameters: CompetencySql.ParseJsonOrNull(reader, 10), CreatedAt: reader.GetFieldValue<DateTimeOffset>(11));
        await reader.NextResultAsync(ct);
        var prerequisites = new List<SkillRef>();
        while (await reader.ReadAsync(ct))
        {
            prerequisites.Add(new SkillRef(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4)));
        }

        return new SkillResponse(s.Id, s.Framework, s.FrameworkCode, s.Parent, s.Code, s.Title, s.Description, s.Attributes, s.Position, s.Method,
            s.Parameters, s.CreatedAt, prerequisites);
    }
}

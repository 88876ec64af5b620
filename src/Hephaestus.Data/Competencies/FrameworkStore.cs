using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>Competency frameworks: a mastery scale, a default mastery method, and a tree of skills.</summary>
public static class FrameworkStore
{
    /// <summary>The scale inserted by migration 0008; a framework created without a scale uses it.</summary>
    public static readonly Guid DefaultScaleId = new("00000000-0000-7000-8000-000000000001");

    const string Columns = "f.id, f.code, f.title, f.description, f.scale_id, f.mastery_method, f.mastery_parameters, f.created_at";

    public static Task<bool> ExistsAsync(ActorScope scope, Guid frameworkId, CancellationToken ct) =>
        CatalogRows.ExistsAsync(scope, "SELECT 1 FROM hephaestus.competency_frameworks WHERE id = $1", frameworkId, ct);

    /// <summary>Inserts the framework (method 'bkt' and no parameters unless given); false when the code is taken.</summary>
    public static async Task<bool> CreateAsync(ActorScope scope, Guid id, string code, FrameworkFields fields, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        await using var insert = scope.Command("""
            INSERT INTO hephaestus.competency_frameworks (id, code, title, description, scale_id, mastery_method, mastery_parameters)
            VALUES ($1, $2, $3, $4, $5, coalesce($6, 'bkt'), coalesce($7, '{}'))
            ON CONFLICT (code) DO NOTHING
            """);
        insert.Parameters.Add(Uuid(id));
        insert.Parameters.Add(Text(code));
        AddFields(insert.Parameters, fields with { ScaleId = fields.ScaleId ?? DefaultScaleId });
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Frameworks by id (keyset: after the given id), a page at a time.</summary>
    public static async Task<Page<FrameworkSummary>> ListAsync(ActorScope scope, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command($"""
            SELECT {Columns}, (SELECT count(*)::int FROM hephaestus.skills s WHERE s.framework_id = f.id)
            FROM hephaestus.competency_frameworks f WHERE ($1::uuid IS NULL OR f.id > $1) ORDER BY f.id LIMIT $2
            """);
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var frameworks = new List<FrameworkSummary>();
        while (await reader.ReadAsync(ct))
        {
            frameworks.Add(new FrameworkSummary(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetNullableString(3),
                reader.GetGuid(4), reader.GetString(5), reader.GetJson(6), reader.GetTime(7), reader.GetInt32(8)));
        }

        return Paging.TrimById(frameworks, size, f => f.Id);
    }

    /// <summary>Locks the framework row for an edit and returns its current scale; null when there is no such framework.</summary>
    public static async Task<Guid?> LockAsync(ActorScope scope, Guid frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT scale_id FROM hephaestus.competency_frameworks WHERE id = $1 FOR UPDATE");
        command.Parameters.Add(Uuid(frameworkId));
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    /// <summary>
    /// Changes title, description, scale, method or parameters (null keeps each). Pointing to another scale (say a new
    /// version) re-classifies every learner's recorded mastery of the framework's skills on the new scale in the same
    /// transaction (hephaestus.reclassify_framework_mastery), so level names and "mastered" are never stale.
    /// </summary>
    public static async Task UpdateAsync(ActorScope scope, Guid frameworkId, Guid currentScale, FrameworkFields fields, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        await using (var update = scope.Command("""
            UPDATE hephaestus.competency_frameworks SET
                title = coalesce($2, title), description = coalesce($3, description), scale_id = coalesce($4, scale_id),
                mastery_method = coalesce($5, mastery_method), mastery_parameters = coalesce($6, mastery_parameters)
            WHERE id = $1
            """))
        {
            update.Parameters.Add(Uuid(frameworkId));
            AddFields(update.Parameters, fields);
            await update.ExecuteNonQueryAsync(ct);
        }

        if (fields.ScaleId is { } newScale && newScale != currentScale)
        {
            await using var reclassify = scope.Command("SELECT hephaestus.reclassify_framework_mastery($1)");
            reclassify.Parameters.Add(Uuid(frameworkId));
            await reclassify.ExecuteScalarAsync(ct);
        }
    }

    /// <summary>The fields as five consecutive parameters: title, description, scale, method, parameters.</summary>
    static void AddFields(NpgsqlParameterCollection parameters, FrameworkFields fields)
    {
        parameters.Add(Text(fields.Title));
        parameters.Add(Text(fields.Description));
        parameters.Add(NullableUuid(fields.ScaleId));
        parameters.Add(Text(fields.MasteryMethod));
        parameters.Add(Jsonb(fields.MasteryParameters));
    }

    /// <summary>The framework and its skills in one round trip; the flat rows become a tree here.</summary>
    public static async Task<FrameworkResponse?> ReadAsync(ActorScope scope, Guid frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {Columns} FROM hephaestus.competency_frameworks f WHERE f.id = $1")
        {
            Parameters = { Uuid(frameworkId) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT id, parent_id, code, title, description, attributes, position, mastery_method, mastery_parameters
            FROM hephaestus.skills WHERE framework_id = $1 ORDER BY position, code
            """)
        {
            Parameters = { Uuid(frameworkId) },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var header = (Id: reader.GetGuid(0), Code: reader.GetString(1), Title: reader.GetString(2), Description: reader.GetNullableString(3),
            Scale: reader.GetGuid(4), Method: reader.GetString(5), Parameters: reader.GetJson(6), CreatedAt: reader.GetTime(7));
        await reader.NextResultAsync(ct);

        // Rows arrive ordered by position then code, so each children list is built in order.
        var children = new Dictionary<Guid, List<SkillNode>>();
        var rows = new List<(Guid? Parent, SkillNode Node)>();
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            children[id] = [];
            rows.Add((reader.GetNullableGuid(1), new SkillNode(id, reader.GetString(2), reader.GetString(3), reader.GetNullableString(4), reader.GetJson(5),
                reader.GetInt32(6), reader.GetNullableString(7), reader.GetNullableJson(8), children[id])));
        }

        var roots = new List<SkillNode>();
        foreach (var (parent, node) in rows) (parent is { } p ? children[p] : roots).Add(node);
        return new FrameworkResponse(header.Id, header.Code, header.Title, header.Description, header.Scale, header.Method, header.Parameters, header.CreatedAt, roots);
    }

    /// <summary>
    /// The framework's skills and, transitively, their prerequisites from any framework (marked external), in an order
    /// where every prerequisite comes first: by longest prerequisite chain below the skill, ties broken by code.
    /// </summary>
    public static async Task<IReadOnlyList<OrderedSkill>> TopologicalOrderAsync(ActorScope scope, Guid frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
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
        command.Parameters.Add(Uuid(frameworkId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var order = new List<OrderedSkill>();
        while (await reader.ReadAsync(ct))
        {
            order.Add(new OrderedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetBoolean(6), reader.GetFieldValue<Guid[]>(7)));
        }

        return order;
    }
}

using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Competencies;

/// <summary>What deleting a skill came to: done, no such skill, or refused because something refers to its subtree.</summary>
public enum SkillDeletion
{
    Deleted,
    NotFound,
    Referenced,

    /// <summary>A reference added by another transaction since the check: the foreign key refused the delete.</summary>
    ReferencedSinceCheck,
}

/// <summary>Skills: nodes of a framework's tree, with free attributes (JSONB, GIN-indexed) and an optional mastery method.</summary>
public static class SkillStore
{
    public static Task<bool> ExistsAsync(ActorScope scope, Guid skillId, CancellationToken ct) =>
        CatalogRows.ExistsAsync(scope, "SELECT 1 FROM hephaestus.skills WHERE id = $1", skillId, ct);

    /// <summary>The framework's mastery method (what a new skill inherits); null when there is no such framework.</summary>
    public static async Task<string?> FrameworkMethodAsync(ActorScope scope, Guid frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT mastery_method FROM hephaestus.competency_frameworks WHERE id = $1");
        command.Parameters.Add(Uuid(frameworkId));
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>The framework the skill belongs to; null when there is no such skill.</summary>
    public static async Task<Guid?> FrameworkOfAsync(ActorScope scope, Guid skillId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT framework_id FROM hephaestus.skills WHERE id = $1");
        command.Parameters.Add(Uuid(skillId));
        return await command.ExecuteScalarAsync(ct) as Guid?;
    }

    public static async Task<bool> InFrameworkAsync(ActorScope scope, Guid skillId, Guid frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT 1 FROM hephaestus.skills WHERE id = $1 AND framework_id = $2");
        command.Parameters.Add(Uuid(skillId));
        command.Parameters.Add(Uuid(frameworkId));
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Codes of the given skills, for naming them in errors (codes are unique per framework, so both are given when they differ).</summary>
    public static async Task<Dictionary<Guid, string>> CodesAsync(ActorScope scope, IEnumerable<Guid> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("SELECT id, code FROM hephaestus.skills WHERE id = ANY ($1)");
        command.Parameters.Add(Uuids(ids.Distinct().ToArray()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var codes = new Dictionary<Guid, string>();
        while (await reader.ReadAsync(ct)) codes[reader.GetGuid(0)] = reader.GetString(1);
        return codes;
    }

    /// <summary>Inserts the skill (without a position it goes last among its siblings); false when the framework has the code already.</summary>
    public static async Task<bool> CreateAsync(ActorScope scope, Guid id, Guid frameworkId, Guid? parentId, string code, SkillFields fields, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        await using var insert = scope.Command("""
            INSERT INTO hephaestus.skills (id, framework_id, parent_id, code, title, description, attributes, position, mastery_method, mastery_parameters)
            SELECT $1, $2, $3, $4, $5, $6, coalesce($7, '{}'),
                   -- Without a position the skill goes last among its siblings.
                   coalesce($8, (SELECT coalesce(max(position) + 1, 0) FROM hephaestus.skills
                                 WHERE framework_id = $2 AND parent_id IS NOT DISTINCT FROM $3)),
                   $9, $10
            ON CONFLICT (framework_id, code) DO NOTHING
            """);
        insert.Parameters.Add(Uuid(id));
        insert.Parameters.Add(Uuid(frameworkId));
        insert.Parameters.Add(NullableUuid(parentId));
        insert.Parameters.Add(Text(code));
        AddFields(insert.Parameters, fields);
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Skills whose attributes contain the given JSON object (<c>attributes @> $1</c>, served by the GIN index
    /// ix_skills_attributes), optionally within one framework, optionally whose code, title or description contains
    /// <paramref name="text"/> (ignoring case; its own statement, so its plan can use the trigram index ix_skills_search);
    /// by id (keyset: after the given id), a page at a time. Matching is a filter, not a ranking, so the keyset is the id.
    /// </summary>
    public static async Task<Page<SkillRef>> SearchAsync(ActorScope scope, string? attributes, Guid? frameworkId, Guid? after, int size, CancellationToken ct, string? text = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command($"""
            SELECT s.id, s.code, s.title, s.framework_id, f.code
            FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE ($1::jsonb IS NULL OR s.attributes @> $1::jsonb) AND ($2::uuid IS NULL OR s.framework_id = $2)
              {(text is null ? "" : "AND (lower(s.code) || ' ' || lower(s.title) || ' ' || lower(coalesce(s.description, ''))) LIKE $5")}
              AND ($3::uuid IS NULL OR s.id > $3)
            ORDER BY s.id
            LIMIT $4
            """);
        command.Parameters.Add(Jsonb(attributes));
        command.Parameters.Add(NullableUuid(frameworkId));
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        if (text is not null) command.Parameters.Add(Substring(text));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var skills = new List<SkillRef>();
        while (await reader.ReadAsync(ct)) skills.Add(ReadRef(reader));
        return Paging.TrimById(skills, size, s => s.Id);
    }

    /// <summary>Locks the skill for an edit and returns the method its parameters run under (its own, else its framework's); null when there is no such skill.</summary>
    public static async Task<string?> LockEffectiveMethodAsync(ActorScope scope, Guid skillId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var command = scope.Command("""
            SELECT coalesce(s.mastery_method, f.mastery_method)
            FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE s.id = $1 FOR UPDATE OF s
            """);
        command.Parameters.Add(Uuid(skillId));
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Changes the given fields; null keeps each.</summary>
    public static async Task UpdateAsync(ActorScope scope, Guid skillId, SkillFields fields, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        await using var update = scope.Command("""
            UPDATE hephaestus.skills SET
                title = coalesce($2, title), description = coalesce($3, description), attributes = coalesce($4, attributes),
                position = coalesce($5, position), mastery_method = coalesce($6, mastery_method), mastery_parameters = coalesce($7, mastery_parameters)
            WHERE id = $1
            """);
        update.Parameters.Add(Uuid(skillId));
        AddFields(update.Parameters, fields);
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The fields as six consecutive parameters: title, description, attributes, position, method, parameters.</summary>
    static void AddFields(NpgsqlParameterCollection parameters, SkillFields fields)
    {
        parameters.Add(Text(fields.Title));
        parameters.Add(Text(fields.Description));
        parameters.Add(Jsonb(fields.Attributes));
        parameters.Add(NullableInt(fields.Position));
        parameters.Add(Text(fields.MasteryMethod));
        parameters.Add(Jsonb(fields.MasteryParameters));
    }

    /// <summary>
    /// Moves a skill and its whole subtree: one UPDATE of the skill's parent_id (descendants hang on it). Moving under
    /// its own descendant is refused by the trigger skills_tree_has_no_loop (HE001); the refusal comes back as the two
    /// skill codes (the skill, then the parent it cannot move under), null when the move was made.
    /// </summary>
    public static async Task<SkillCycle?> MoveAsync(ActorScope scope, Guid skillId, Guid frameworkId, Guid? parentId, int? position, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await scope.Transaction.SaveAsync("move", ct);
        try
        {
            await using var move = scope.Command("""
                UPDATE hephaestus.skills SET parent_id = $2,
                    position = coalesce($3, (SELECT coalesce(max(position) + 1, 0) FROM hephaestus.skills
                                             WHERE framework_id = $4 AND parent_id IS NOT DISTINCT FROM $2 AND id <> $1))
                WHERE id = $1
                """);
            move.Parameters.Add(Uuid(skillId));
            move.Parameters.Add(NullableUuid(parentId));
            move.Parameters.Add(NullableInt(position));
            move.Parameters.Add(Uuid(frameworkId));
            await move.ExecuteNonQueryAsync(ct);
            return null;
        }
        catch (PostgresException e) when (parentId is { } parent && e.SqlState is HephaestusSqlStates.Cycle or PostgresErrorCodes.CheckViolation)
        {
            await scope.Transaction.RollbackAsync("move", ct);
            var codes = await CodesAsync(scope, [skillId, parent], ct);
            return new SkillCycle([codes[skillId], codes[parent]], [skillId, parent]);
        }
    }

    /// <summary>
    /// Deletes a skill and its subtree, unless something refers to one of them: learner records (evidence, mastery) or
    /// catalog rows (path steps, items, assessment pools, rubric criteria), named in the returned references. Checked by
    /// hephaestus.skill_subtree_references, which sees learner rows that an author cannot.
    /// </summary>
    public static async Task<(SkillDeletion Outcome, IReadOnlyList<string> References)> DeleteAsync(ActorScope scope, Guid skillId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        // Locking the framework (as the tree trigger does) keeps a concurrent move from adding to the subtree meanwhile.
        await using (var lockFramework = scope.Command("""
            SELECT 1 FROM hephaestus.competency_frameworks
            WHERE id = (SELECT framework_id FROM hephaestus.skills WHERE id = $1) FOR UPDATE
            """))
        {
            lockFramework.Parameters.Add(Uuid(skillId));
            if (await lockFramework.ExecuteScalarAsync(ct) is null) return (SkillDeletion.NotFound, []);
        }

        await using (var check = scope.Command("SELECT hephaestus.skill_subtree_references($1)"))
        {
            check.Parameters.Add(Uuid(skillId));
            var references = (string[])(await check.ExecuteScalarAsync(ct))!;
            if (references.Length > 0) return (SkillDeletion.Referenced, references);
        }

        await using var delete = scope.Command("DELETE FROM hephaestus.skills WHERE id = $1");
        delete.Parameters.Add(Uuid(skillId));
        try
        {
            await delete.ExecuteNonQueryAsync(ct);
            return (SkillDeletion.Deleted, []);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A reference added since the check (another transaction): still refused, still named.
            return (SkillDeletion.ReferencedSinceCheck, [e.TableName!]);
        }
    }

    public static async Task<SkillResponse?> ReadAsync(ActorScope scope, Guid skillId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT s.id, s.framework_id, f.code, s.parent_id, s.code, s.title, s.description, s.attributes, s.position,
                   s.mastery_method, s.mastery_parameters, s.created_at
            FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE s.id = $1
            """)
        {
            Parameters = { Uuid(skillId) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT s.id, s.code, s.title, s.framework_id, f.code
            FROM hephaestus.skill_prerequisites p
            JOIN hephaestus.skills s ON s.id = p.prerequisite_id
            JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            WHERE p.skill_id = $1 ORDER BY f.code, s.code
            """)
        {
            Parameters = { Uuid(skillId) },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var s = (Id: reader.GetGuid(0), Framework: reader.GetGuid(1), FrameworkCode: reader.GetString(2), Parent: reader.GetNullableGuid(3),
            Code: reader.GetString(4), Title: reader.GetString(5), Description: reader.GetNullableString(6), Attributes: reader.GetJson(7),
            Position: reader.GetInt32(8), Method: reader.GetNullableString(9), Parameters: reader.GetNullableJson(10), CreatedAt: reader.GetTime(11));
        await reader.NextResultAsync(ct);
        var prerequisites = new List<SkillRef>();
        while (await reader.ReadAsync(ct)) prerequisites.Add(ReadRef(reader));
        return new SkillResponse(s.Id, s.Framework, s.FrameworkCode, s.Parent, s.Code, s.Title, s.Description, s.Attributes, s.Position, s.Method,
            s.Parameters, s.CreatedAt, prerequisites);
    }

    /// <summary>A skill reference from the columns (id, code, title, framework_id, framework code).</summary>
    static SkillRef ReadRef(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetGuid(3), reader.GetString(4));
}

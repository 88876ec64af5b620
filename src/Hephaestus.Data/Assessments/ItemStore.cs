using System.Text.Json;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>An item version's alignment to a skill: its evidence counts for the skill with this weight (0..1].</summary>
public sealed record SkillAlignment(Guid SkillId, decimal Weight = 1);

/// <summary>
/// An item version as stored, with its answer key (<see cref="Definition"/>), the item's tags, and the content version its
/// stem came from when it was generated (<see cref="StemContentVersionId"/>; content's item_stem versions, issue 10).
/// </summary>
public sealed record StoredItem(Guid ItemId, string? Code, Guid VersionId, int Version, string Type, JsonElement Definition,
    IReadOnlyList<SkillAlignment> Skills, DateTimeOffset CreatedAt, IReadOnlyList<string> Tags, Guid? StemContentVersionId = null);

/// <summary>
/// Filters of the bank listing, each optional: a skill the current version is aligned to, an item type, words of the
/// stem (web search syntax: quotes, or, -word), a tag.
/// </summary>
public sealed record ItemFilter(Guid? SkillId = null, string? Type = null, string? Text = null, string? Tag = null);

/// <summary>An item version parsed for scoring, with its skill alignment.</summary>
public sealed record ItemVersionRow(Guid Id, ItemDefinition Definition, IReadOnlyList<SkillAlignment> Skills);

public enum ItemWriteOutcome
{
    Written,
    ItemNotFound,
    CodeTaken,

    /// <summary>An aligned skill, or the stem's content version, does not exist; <see cref="ItemWrite.Errors"/> names each.</summary>
    UnknownReferences,
}

public sealed record ItemWrite(ItemWriteOutcome Outcome, StoredItem? Item = null, IReadOnlyList<ValidationError>? Errors = null);

/// <summary>
/// The item bank. Editing an item makes a new version (results keep pointing at the version answered); versions are
/// never changed.
/// </summary>
public static class ItemStore
{
    /// <summary>An item version's alignment (of <c>v</c>) as a JSON array of {skillId, weight}.</summary>
    const string AlignmentOfVersion = "(SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)";

    /// <summary>
    /// Columns: id, definition, alignment; read by <see cref="ReadItemVersion"/>. <c>v</c> is one of the two functions that
    /// return definitions (answer keys): the application role may not select item_versions.definition itself
    /// (Sql/0009_defence_in_depth.sql).
    /// </summary>
    internal const string ItemVersionColumns = $"v.id, v.definition, {AlignmentOfVersion}";

    /// <summary>The item versions of attempt $2 of learner $1, keys included: inside AttemptStore's marked transactions only.</summary>
    internal const string AttemptItemVersions = $"SELECT {ItemVersionColumns} FROM hephaestus.attempt_item_definitions($1, $2) v";

    public static async Task<ItemWrite> CreateAsync(NpgsqlDataSource db, Actor actor, string? code, ItemDefinition item, IReadOnlyList<SkillAlignment> skills,
        IReadOnlyList<string> tags, Guid? stemContentVersionId, CancellationToken ct)
    {
        var itemId = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var insert = scope.Command("INSERT INTO hephaestus.items (id, code, tags) VALUES ($1, $2, $3)"))
        {
            insert.Parameters.Add(Uuid(itemId));
            insert.Parameters.Add(Text(code));
            insert.Parameters.Add(TextArray([.. tags]));
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return new ItemWrite(ItemWriteOutcome.CodeTaken);
            }
        }

        var unknown = await InsertVersionAsync(scope, itemId, 1, item, skills, stemContentVersionId, ct);
        if (unknown.Count > 0) return new ItemWrite(ItemWriteOutcome.UnknownReferences, Errors: unknown);
        var written = await ReadAsync(scope, itemId, null, ct);
        await scope.CommitAsync(ct);
        return new ItemWrite(ItemWriteOutcome.Written, written);
    }

    /// <summary>
    /// Editing makes a new version. The item row is locked, so two edits at once make versions n+1 and n+2. Tags belong
    /// to the item, not the version: null keeps them. The stem's content version belongs to the version (a later edit may
    /// take its stem from elsewhere, or write it by hand): null means none for the new version.
    /// </summary>
    public static async Task<ItemWrite> NewVersionAsync(NpgsqlDataSource db, Actor actor, Guid itemId, ItemDefinition item, IReadOnlyList<SkillAlignment> skills,
        IReadOnlyList<string>? tags, Guid? stemContentVersionId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        int current;
        await using (var lockItem = scope.Command("SELECT current_version FROM hephaestus.items WHERE id = $1 FOR UPDATE"))
        {
            lockItem.Parameters.Add(Uuid(itemId));
            if (await lockItem.ExecuteScalarAsync(ct) is not int version) return new ItemWrite(ItemWriteOutcome.ItemNotFound);
            current = version;
        }

        var unknown = await InsertVersionAsync(scope, itemId, current + 1, item, skills, stemContentVersionId, ct);
        if (unknown.Count > 0) return new ItemWrite(ItemWriteOutcome.UnknownReferences, Errors: unknown);
        await using (var bump = scope.Command("UPDATE hephaestus.items SET current_version = $2, tags = coalesce($3, tags) WHERE id = $1"))
        {
            bump.Parameters.Add(Uuid(itemId));
            bump.Parameters.Add(Int(current + 1));
            bump.Parameters.Add(TextArray(tags is null ? null : [.. tags]));
            await bump.ExecuteNonQueryAsync(ct);
        }

        var written = await ReadAsync(scope, itemId, null, ct);
        await scope.CommitAsync(ct);
        return new ItemWrite(ItemWriteOutcome.Written, written);
    }

    /// <returns>The aligned skills, and the stem's content version, that do not exist (nothing is written then).</returns>
    static async Task<List<ValidationError>> InsertVersionAsync(ActorScope scope, Guid itemId, int version, ItemDefinition item,
        IReadOnlyList<SkillAlignment> skills, Guid? stemContentVersionId, CancellationToken ct)
    {
        // Both checks in one statement. The content version is looked up under the caller's rights: item writers
        // (authors, admins) read every content version, so "not found" means it does not exist.
        await using (var known = scope.Command("""
            SELECT (SELECT array_agg(id) FROM hephaestus.skills WHERE id = ANY ($1)),
                   $2::uuid IS NULL OR EXISTS (SELECT 1 FROM hephaestus.content_versions WHERE id = $2)
            """))
        {
            known.Parameters.Add(Uuids([.. skills.Select(s => s.SkillId)]));
            known.Parameters.Add(NullableUuid(stemContentVersionId));
            await using var reader = await known.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var found = reader.IsDBNull(0) ? [] : reader.GetFieldValue<Guid[]>(0);
            var unknown = new List<ValidationError>();
            for (var i = 0; i < skills.Count; i++)
            {
                if (!found.Contains(skills[i].SkillId)) unknown.Add(new ValidationError($"skills[{i}].skillId", $"no skill with id {skills[i].SkillId}"));
            }

            if (!reader.GetBoolean(1)) unknown.Add(new ValidationError("stemContentVersionId", $"no content version with id {stemContentVersionId}"));
            if (unknown.Count > 0) return unknown;
        }

        var versionId = Guid.CreateVersion7();
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points, created_by, stem_content_version_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        {
            Parameters =
            {
                Uuid(versionId), Uuid(itemId), Int(version), Text(item.Type), Jsonb(item.ToJson()),
                new NpgsqlParameter<decimal> { TypedValue = item.Points }, Uuid(scope.Actor.UserId), NullableUuid(stemContentVersionId),
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO hephaestus.item_version_skills (item_version_id, skill_id, weight) SELECT $1, s, w FROM unnest($2::uuid[], $3::numeric[]) AS u (s, w)")
        {
            Parameters =
            {
                Uuid(versionId), Uuids([.. skills.Select(s => s.SkillId)]),
                new NpgsqlParameter<decimal[]> { TypedValue = [.. skills.Select(s => s.Weight)] },
            },
        });
        await batch.ExecuteNonQueryAsync(ct);
        return [];
    }

    /// <summary>An item at a version (its current one when <paramref name="version"/> is null), with its answer key.</summary>
    public static async Task<StoredItem?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid itemId, int? version, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return await ReadAsync(scope, itemId, version, ct);
    }

    /// <summary>
    /// Read by <see cref="ReadStoredItem"/>. The definition (with its key) comes through item_definitions (<c>d</c>, joined
    /// by <see cref="DefinitionOfVersion"/>), which answers authors and admins only.
    /// </summary>
    const string StoredItemColumns = $"i.id, i.code, v.id, v.version, v.type, d.definition, v.created_at, {AlignmentOfVersion}, i.tags, v.stem_content_version_id";

    const string DefinitionOfVersion = "JOIN hephaestus.item_definitions(ARRAY[v.id]) d ON true";

    static async Task<StoredItem?> ReadAsync(ActorScope scope, Guid itemId, int? version, CancellationToken ct)
    {
        await using var command = scope.Command($"""
            SELECT {StoredItemColumns}
            FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = coalesce($2, i.current_version)
            {DefinitionOfVersion}
            WHERE i.id = $1
            """);
        command.Parameters.Add(Uuid(itemId));
        command.Parameters.Add(NullableInt(version));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadStoredItem(reader) : null;
    }

    /// <summary>A row of <see cref="StoredItemColumns"/>.</summary>
    static StoredItem ReadStoredItem(NpgsqlDataReader reader) => new(reader.GetGuid(0), reader.GetNullableString(1), reader.GetGuid(2), reader.GetInt32(3),
        reader.GetString(4), reader.GetJson(5), Alignment(reader, 7), reader.GetTime(6), reader.GetFieldValue<string[]>(8), reader.GetNullableGuid(9));

    /// <summary>The bank: items at their current version, in id (creation) order, keyset paged.</summary>
    public static async Task<Page<StoredItem>> ListAsync(NpgsqlDataSource db, Actor actor, ItemFilter filter, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var listing = new FilteredListing("i.id");
        if (filter.SkillId is { } skill)
        {
            listing.Where("EXISTS (SELECT 1 FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id AND s.skill_id = {0})", Uuid(skill));
        }

        if (filter.Type is { } type) listing.Where("v.type = {0}", Text(type));
        // prompt_search: the stored tsvector of the prompt (Sql/0016), readable where the definition is not.
        if (filter.Text is { } text) listing.Where("v.prompt_search @@ websearch_to_tsquery('english', {0})", Text(text));
        if (filter.Tag is { } tag) listing.Where("i.tags @> {0}", TextArray([tag]));
        return await listing.ReadAsync(scope, $$"""
            SELECT {{StoredItemColumns}}
            FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = i.current_version
            {{DefinitionOfVersion}}
            WHERE {0} ORDER BY i.id LIMIT $2
            """, after, size, ReadStoredItem, i => i.ItemId, ct);
    }

    /// <summary>Item versions by id, parsed for scoring; for authors and admins (regrading), others get none.</summary>
    internal static async Task<Dictionary<Guid, ItemVersionRow>> ReadItemVersionsAsync(ActorScope scope, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var command = scope.Command($"SELECT {ItemVersionColumns} FROM hephaestus.item_definitions($1) v");
        command.Parameters.Add(Uuids([.. ids]));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadItemVersionsAsync(reader, ct);
    }

    /// <summary>The item versions of an attempt (or only <paramref name="only"/>), parsed; the scope must be AttemptStore's (marked as the learner record's).</summary>
    internal static async Task<Dictionary<Guid, ItemVersionRow>> ReadAttemptItemVersionsAsync(ActorScope scope, Guid learnerId, Guid attemptId, CancellationToken ct,
        Guid? only = null)
    {
        await using var command = scope.Command(AttemptItemVersions + " WHERE $3::uuid IS NULL OR v.id = $3");
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuid(attemptId));
        command.Parameters.Add(NullableUuid(only));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadItemVersionsAsync(reader, ct);
    }

    /// <summary>Rows of <see cref="ItemVersionColumns"/>, to the end of the current result.</summary>
    internal static async Task<Dictionary<Guid, ItemVersionRow>> ReadItemVersionsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new Dictionary<Guid, ItemVersionRow>();
        while (await reader.ReadAsync(ct))
        {
            var row = ReadItemVersion(reader);
            rows[row.Id] = row;
        }

        return rows;
    }

    /// <summary>Definitions are parsed back through the validating parser: what is stored is what the scorer understands.</summary>
    static ItemVersionRow ReadItemVersion(NpgsqlDataReader reader)
    {
        var (item, errors) = ItemDefinitionParser.Parse(reader.GetJson(1));
        if (item is null) throw new InvalidOperationException($"stored item version {reader.GetGuid(0)} no longer parses: {string.Join("; ", errors)}");
        return new ItemVersionRow(reader.GetGuid(0), item, Alignment(reader, 2));
    }

    static List<SkillAlignment> Alignment(NpgsqlDataReader reader, int ordinal) =>
        reader.GetJson(ordinal).Deserialize<List<SkillAlignment>>(JsonSerializerOptions.Web) ?? [];
}

using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>
/// Content items: a stable key, a kind, a title and skill alignments, and the counter that numbers their versions.
/// Authors and admins write (hephaestus.can_write_content, row-level security); staff read.
/// </summary>
public static partial class ContentStore
{
    /// <summary>Read by <see cref="ReadItem"/>; <c>i</c> is content_items.</summary>
    const string ItemColumns = """
        i.id, i.key, i.kind, i.title,
        ARRAY(SELECT s.skill_id FROM hephaestus.content_item_skills s WHERE s.content_item_id = i.id ORDER BY s.skill_id),
        i.latest_version, p.id, p.version, i.created_at, i.updated_at, i.xmin
        """;

    const string ItemFrom = """
        FROM hephaestus.content_items i
        LEFT JOIN hephaestus.content_versions p ON p.content_item_id = i.id AND p.status = 'published'
        """;

    const string InsertItem = """
        INSERT INTO hephaestus.content_items (id, key, kind, title, created_by) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (key) DO NOTHING
        """;

    const string UnknownSkillsOf = "SELECT array_agg(u) FROM unnest($1::uuid[]) u WHERE NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = u)";

    // Two statements, not a CTE: both parts of one statement see the same snapshot, so the insert could meet the rows
    // the delete removes.
    const string DeleteSkills = "DELETE FROM hephaestus.content_item_skills WHERE content_item_id = $1";
    const string InsertSkills = "INSERT INTO hephaestus.content_item_skills (content_item_id, skill_id) SELECT $1, s FROM unnest($2::uuid[]) s";

    const string UpdateItem = """
        UPDATE hephaestus.content_items SET title = coalesce($3, title), updated_at = now()
        WHERE id = $1 AND xmin = $2
        """;

    public static async Task<ContentItemWrite> CreateItemAsync(NpgsqlDataSource db, Actor actor, string key, string kind, string title, IReadOnlyList<Guid> skills,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(skills);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (await UnknownSkillsAsync(scope, skills, ct) is { Length: > 0 } unknown) return new ContentItemWrite(ContentItemOutcome.UnknownSkills, UnknownSkills: unknown);
        var id = Guid.CreateVersion7();
        await using (var insert = scope.Command(InsertItem))
        {
            insert.Parameters.Add(Uuid(id));
            insert.Parameters.Add(Text(key));
            insert.Parameters.Add(Text(kind));
            insert.Parameters.Add(Text(title));
            insert.Parameters.Add(NullableUuid(actor.PersonId));
            if (await insert.ExecuteNonQueryAsync(ct) == 0) return new ContentItemWrite(ContentItemOutcome.KeyTaken);
        }

        await SetSkillsAsync(scope, id, skills, ct);
        var item = await ReadItemAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new ContentItemWrite(ContentItemOutcome.Done, item);
    }

    /// <summary>Changes the title and/or the skills (null keeps them); <paramref name="expected"/> is the If-Match row version.</summary>
    public static async Task<ContentItemWrite> UpdateItemAsync(NpgsqlDataSource db, Actor actor, Guid id, string? title, IReadOnlyList<Guid>? skills, uint? expected,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var existing = await ReadItemAsync(scope, id, ct);
        if (existing is null) return new ContentItemWrite(ContentItemOutcome.NotFound);
        if (expected is null) return new ContentItemWrite(ContentItemOutcome.PreconditionRequired);
        if (skills is not null && await UnknownSkillsAsync(scope, skills, ct) is { Length: > 0 } unknown)
        {
            return new ContentItemWrite(ContentItemOutcome.UnknownSkills, UnknownSkills: unknown);
        }

        // The compare-and-set on xmin is the one statement that decides: a concurrent edit makes it touch no row.
        await using (var update = scope.Command(UpdateItem))
        {
            update.Parameters.Add(Uuid(id));
            update.Parameters.Add(Xid(expected));
            update.Parameters.Add(Text(title));
            if (await update.ExecuteNonQueryAsync(ct) == 0) return new ContentItemWrite(ContentItemOutcome.PreconditionFailed, CurrentVersion: existing.RowVersion);
        }

        if (skills is not null) await SetSkillsAsync(scope, id, skills, ct);
        var item = await ReadItemAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new ContentItemWrite(ContentItemOutcome.Done, item);
    }

    public static async Task<ContentItem?> ReadItemAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return await ReadItemAsync(scope, id, ct);
    }

    /// <summary>Items in id (creation) order, keyset paged, with only the given filters in the statement.</summary>
    public static async Task<Page<ContentItem>> ListItemsAsync(NpgsqlDataSource db, Actor actor, ContentItemFilter filter, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var listing = new FilteredListing("i.id");
        if (filter.Kind is { } kind) listing.Where("i.kind = {0}", Text(kind));
        if (filter.SkillId is { } skill)
        {
            listing.Where("EXISTS (SELECT 1 FROM hephaestus.content_item_skills s WHERE s.content_item_id = i.id AND s.skill_id = {0})", Uuid(skill));
        }

        if (filter.Status is { } status)
        {
            listing.Where("EXISTS (SELECT 1 FROM hephaestus.content_versions v WHERE v.content_item_id = i.id AND v.status = {0})", Text(status));
        }

        if (filter.Title is { } title) listing.Where("lower(i.title) LIKE {0}", Substring(title));
        return await listing.ReadAsync(scope, $"SELECT {ItemColumns} {ItemFrom} WHERE {{0}} ORDER BY i.id LIMIT $2", after, size, ReadItem, i => i.Id, ct);
    }

    static async Task<ContentItem?> ReadItemAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command($"SELECT {ItemColumns} {ItemFrom} WHERE i.id = $1");
        command.Parameters.Add(Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadItem(reader) : null;
    }

    static ContentItem ReadItem(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<Guid[]>(4),
        r.GetInt32(5), r.GetNullableGuid(6), r.GetNullableInt32(7), r.GetTime(8), r.GetTime(9), r.GetFieldValue<uint>(10));

    static async Task<Guid[]> UnknownSkillsAsync(ActorScope scope, IReadOnlyList<Guid> skills, CancellationToken ct)
    {
        if (skills.Count == 0) return [];
        await using var command = scope.Command(UnknownSkillsOf);
        command.Parameters.Add(Uuids([.. skills]));
        return await command.ExecuteScalarAsync(ct) as Guid[] ?? [];
    }

    static async Task SetSkillsAsync(ActorScope scope, Guid id, IReadOnlyList<Guid> skills, CancellationToken ct)
    {
        await scope.ExecuteAsync([
            new NpgsqlBatchCommand(DeleteSkills) { Parameters = { Uuid(id) } },
            new NpgsqlBatchCommand(InsertSkills) { Parameters = { Uuid(id), Uuids([.. skills.Distinct()]) } },
        ], ct);
    }
}

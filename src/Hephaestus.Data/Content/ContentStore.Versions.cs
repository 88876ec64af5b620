using System.Text.Json;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>Content versions: immutable, numbered 1, 2, 3 per item with no gaps, with lineage, provenance and JSONB metadata.</summary>
public static partial class ContentStore
{
    /// <summary>How far a lineage walk goes in each direction; a longer chain is cut there (a client walks on from its ends).</summary>
    public const int LineageDepth = 50;

    /// <summary>Read by <see cref="ReadVersion"/>; <c>v</c> is content_versions, <c>b</c> content_bodies.</summary>
    internal const string VersionColumns = """
        v.id, v.content_item_id, v.version, v.body_sha256, b.size_bytes, v.media_type, v.derived_from, v.regenerated_from,
        v.origin, v.model_id, v.prompt_template_id, v.prompt_template_version, v.prompt_sha256, v.generation_parameters, v.grounding_sources,
        v.input_tokens, v.output_tokens, v.cost_usd, v.latency_ms, v.human_author_id, v.metadata, v.status, v.published_at, v.created_by, v.created_at
        """;

    const string VersionFrom = "FROM hephaestus.content_versions v JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256";

    /// <summary>
    /// What a new version refers to, in one look: the item, the body, the versions of its lineage (with their items).
    /// The foreign keys hold all of it again at insert (a body collected in between is a foreign key violation).
    /// </summary>
    const string CheckReferences = """
        SELECT EXISTS (SELECT 1 FROM hephaestus.content_items WHERE id = $1),
               EXISTS (SELECT 1 FROM hephaestus.content_bodies WHERE sha256 = $2),
               (SELECT content_item_id FROM hephaestus.content_versions WHERE id = $3),
               (SELECT content_item_id FROM hephaestus.content_versions WHERE id = $4)
        """;

    /// <summary>
    /// The number comes from the item's counter, incremented in the statement that inserts the version: the UPDATE locks
    /// the item's row until commit, so concurrent creators queue and get n+1, n+2, … and a rolled-back creation rolls
    /// its increment back with it (no gaps).
    /// </summary>
    const string InsertVersion = """
        WITH numbered AS (
            UPDATE hephaestus.content_items SET latest_version = latest_version + 1 WHERE id = $2 RETURNING latest_version)
        INSERT INTO hephaestus.content_versions (id, content_item_id, version, body_sha256, media_type, derived_from, regenerated_from,
            origin, model_id, prompt_template_id, prompt_template_version, prompt_sha256, generation_parameters, grounding_sources,
            input_tokens, output_tokens, cost_usd, latency_ms, human_author_id, metadata, created_by)
        SELECT $1, $2, n.latest_version, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
        FROM numbered n
        """;

    public static async Task<ContentVersionWrite> CreateVersionAsync(NpgsqlDataSource db, Actor actor, Guid itemId, NewContentVersion version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(version);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var check = scope.Command(CheckReferences))
        {
            check.Parameters.Add(Uuid(itemId));
            check.Parameters.Add(Text(version.BodySha256));
            check.Parameters.Add(NullableUuid(version.DerivedFrom));
            check.Parameters.Add(NullableUuid(version.RegeneratedFrom));
            await using var reader = await check.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (!reader.GetBoolean(0)) return new ContentVersionWrite(ContentVersionOutcome.ItemNotFound);
            if (!reader.GetBoolean(1)) return new ContentVersionWrite(ContentVersionOutcome.BodyNotFound);
            // Derived from may cross items (a hint derived from a lesson); regenerated from replaces a version of the same item.
            if (version.DerivedFrom is not null && reader.IsDBNull(2)) return new ContentVersionWrite(ContentVersionOutcome.DerivedFromNotFound);
            if (version.RegeneratedFrom is not null && reader.GetNullableGuid(3) != itemId) return new ContentVersionWrite(ContentVersionOutcome.RegeneratedFromNotFound);
        }

        var id = Guid.CreateVersion7();
        var p = version.Provenance;
        await using (var insert = scope.Command(InsertVersion))
        {
            insert.Parameters.Add(Uuid(id));
            insert.Parameters.Add(Uuid(itemId));
            insert.Parameters.Add(Text(version.BodySha256));
            insert.Parameters.Add(Text(version.MediaType));
            insert.Parameters.Add(NullableUuid(version.DerivedFrom));
            insert.Parameters.Add(NullableUuid(version.RegeneratedFrom));
            insert.Parameters.Add(Text(p.Origin));
            insert.Parameters.Add(Text(p.Model));
            insert.Parameters.Add(Text(p.PromptTemplateId));
            insert.Parameters.Add(Text(p.PromptTemplateVersion));
            insert.Parameters.Add(Text(p.PromptSha256));
            insert.Parameters.Add(Jsonb(p.Parameters));
            insert.Parameters.Add(Jsonb(p.GroundingSources));
            insert.Parameters.Add(NullableInt(p.InputTokens));
            insert.Parameters.Add(NullableInt(p.OutputTokens));
            insert.Parameters.Add(NullableDecimal(p.CostUsd));
            insert.Parameters.Add(NullableInt(p.LatencyMs));
            insert.Parameters.Add(NullableUuid(p.AuthorId));
            insert.Parameters.Add(Jsonb(version.Metadata));
            insert.Parameters.Add(NullableUuid(actor.PersonId));
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                // Between the check and the insert: the body was collected by `content gc`, or the author does not exist.
                return new ContentVersionWrite(e.ConstraintName switch
                {
                    "content_versions_human_author_id_fkey" => ContentVersionOutcome.AuthorNotFound,
                    "content_versions_derived_from_fkey" => ContentVersionOutcome.DerivedFromNotFound,
                    "content_versions_regenerated_from_fkey" => ContentVersionOutcome.RegeneratedFromNotFound,
                    _ => ContentVersionOutcome.BodyNotFound,
                });
            }
        }

        var created = await ReadVersionAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new ContentVersionWrite(ContentVersionOutcome.Created, created);
    }

    /// <summary>A version by id, as row-level security lets the actor see it (staff: any; others: published ones).</summary>
    public static async Task<ContentVersion?> ReadVersionAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return await ReadVersionAsync(scope, id, ct);
    }

    /// <summary>An item's versions, newest first; null when the item does not exist.</summary>
    /// <summary>An item's versions, newest first, a keyset page by version number (the cursor is a version's id); null when no such item.</summary>
    public static async Task<Page<ContentVersion>?> ListVersionsAsync(NpgsqlDataSource db, Actor actor, Guid itemId, Guid? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT {VersionColumns} {VersionFrom}
            WHERE v.content_item_id = $1
              AND ($2::uuid IS NULL OR v.version < (SELECT a.version FROM hephaestus.content_versions a WHERE a.id = $2 AND a.content_item_id = $1))
            ORDER BY v.version DESC LIMIT $3
            """)
        {
            Parameters = { Uuid(itemId), NullableUuid(after), Int(Paging.Fetch(size)) },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT EXISTS (SELECT 1 FROM hephaestus.content_items WHERE id = $1)") { Parameters = { Uuid(itemId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var versions = new List<ContentVersion>();
        while (await reader.ReadAsync(ct)) versions.Add(ReadVersion(reader));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetBoolean(0) ? Paging.TrimById(versions, size, v => v.Id) : null;
    }

    /// <summary>
    /// Ancestors through derived_from and regenerated_from, and descendants (the versions that name this one, and theirs),
    /// each up to <see cref="LineageDepth"/> steps; a version reached by two routes is listed once, at its nearest depth.
    /// Versions only ever name versions that already exist, so the walk has no cycles to guard against.
    /// </summary>
    public static async Task<Lineage?> ReadLineageAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var start = await ReadVersionAsync(scope, id, ct);
        if (start is null) return null;
        await using var command = scope.Command($"""
            WITH RECURSIVE up (id, depth) AS (
                SELECT parent, 1 FROM hephaestus.content_versions v, LATERAL (VALUES (v.derived_from), (v.regenerated_from)) p (parent)
                WHERE v.id = $1 AND parent IS NOT NULL
                UNION
                SELECT parent, u.depth + 1 FROM up u JOIN hephaestus.content_versions v ON v.id = u.id,
                    LATERAL (VALUES (v.derived_from), (v.regenerated_from)) p (parent)
                WHERE parent IS NOT NULL AND u.depth < $2
            ), down (id, depth) AS (
                SELECT v.id, 1 FROM hephaestus.content_versions v WHERE v.derived_from = $1 OR v.regenerated_from = $1
                UNION
                SELECT v.id, d.depth + 1 FROM down d JOIN hephaestus.content_versions v ON v.derived_from = d.id OR v.regenerated_from = d.id
                WHERE d.depth < $2
            ), walked (direction, id, depth) AS (
                SELECT 'up', id, min(depth) FROM up GROUP BY id
                UNION ALL
                SELECT 'down', id, min(depth) FROM down GROUP BY id
            )
            SELECT {VersionColumns}, w.direction, w.depth
            FROM walked w JOIN hephaestus.content_versions v ON v.id = w.id JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256
            ORDER BY w.direction, w.depth, v.id
            """);
        command.Parameters.Add(Uuid(id));
        command.Parameters.Add(Int(LineageDepth));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ancestors = new List<LineageEntry>();
        var descendants = new List<LineageEntry>();
        while (await reader.ReadAsync(ct))
        {
            var entry = new LineageEntry(ReadVersion(reader), reader.GetInt32(VersionColumnCount + 1));
            (reader.GetString(VersionColumnCount) == "up" ? ancestors : descendants).Add(entry);
        }

        return new Lineage(start, ancestors, descendants);
    }

    /// <summary>
    /// Versions whose metadata contains $3 (jsonb @>) and/or matches the JSON path $4 (@?), keyset paged by id. The ids
    /// come from content_version_ids_matching (0022): under row-level security these operators cannot use
    /// ix_content_versions_metadata, so the function finds them with the owner's rights and the rows are read here
    /// through the policy as usual.
    /// </summary>
    // The ids as one array computed first (an InitPlan): the page is then read by the primary key in id order and each
    // row joined to its body. Written as `v.id IN (SELECT …)` the planner, which sees the function only as 50 rows of
    // anything, may put content_bodies on the outside of the join and scan it.
    const string MetadataSearchSql = $"""
        SELECT {VersionColumns} {VersionFrom}
        WHERE v.id = ANY (ARRAY(SELECT hephaestus.content_version_ids_matching($3::jsonb, $4::jsonpath, $1, $2)))
        ORDER BY v.id
        """;

    /// <summary>
    /// Versions by metadata: containment (<paramref name="contains"/>, a JSON object) and/or a JSON path that must match
    /// (<paramref name="jsonPath"/>, SQL/JSON path syntax). A path PostgreSQL cannot parse is an outcome, not an error.
    /// </summary>
    public static async Task<MetadataSearch> SearchByMetadataAsync(NpgsqlDataSource db, Actor actor, JsonElement? contains, string? jsonPath, Guid? after, int size,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (jsonPath is not null)
        {
            // Parsed on its own first: a syntax error then names the parameter instead of failing the search.
            await using var parse = scope.Command("SELECT $1::jsonpath");
            parse.Parameters.Add(Text(jsonPath));
            try
            {
                await parse.ExecuteScalarAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.SyntaxError || e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                return new MetadataSearch(MetadataSearchOutcome.InvalidJsonPath, Error: e.MessageText);
            }
        }

        await using var command = scope.Command(MetadataSearchSql);
        command.Parameters.Add(NullableUuid(after));
        command.Parameters.Add(Int(Paging.Fetch(size)));
        command.Parameters.Add(Jsonb(contains));
        command.Parameters.Add(Text(jsonPath));
        var rows = new List<ContentVersion>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(ReadVersion(reader));
        }

        return new MetadataSearch(MetadataSearchOutcome.Done, Paging.TrimById(rows, size, v => v.Id));
    }

    internal static async Task<ContentVersion?> ReadVersionAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command($"SELECT {VersionColumns} {VersionFrom} WHERE v.id = $1");
        command.Parameters.Add(Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadVersion(reader) : null;
    }

    internal const int VersionColumnCount = 25;

    internal static ContentVersion ReadVersion(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.GetInt64(4), r.GetString(5),
        r.GetNullableGuid(6), r.GetNullableGuid(7),
        new Provenance(r.GetString(8), r.GetNullableString(9), r.GetNullableString(10), r.GetNullableString(11), r.GetNullableString(12), r.GetNullableJson(13),
            r.GetNullableJson(14), r.GetNullableInt32(15), r.GetNullableInt32(16), r.IsDBNull(17) ? null : r.GetDecimal(17), r.GetNullableInt32(18), r.GetNullableGuid(19)),
        r.GetJson(20), r.GetString(21), r.GetNullableTime(22), r.GetNullableGuid(23), r.GetTime(24));
}

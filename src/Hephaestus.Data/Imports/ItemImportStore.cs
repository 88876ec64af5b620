using System.Text;
using System.Text.Json;
using Hephaestus.Data.Assessments;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Imports;

/// <summary>A line of an items file: the bank's item request, its code the key that makes a re-import find the item.</summary>
public sealed record ItemLine(int Line, string Code, ItemDefinition Definition, IReadOnlyList<SkillAlignment> Skills, IReadOnlyList<string> Tags);

/// <summary>
/// Items in bulk from JSON Lines: each line the JSON that <c>POST /api/v1/items</c> takes (definition, skills, tags), with
/// <c>code</c> required, since it is what a re-import finds the item by. A known code with the same definition and
/// alignment is unchanged (a tag change alone updates the item's tags); a changed definition or alignment makes the
/// item's next version, as the bank's edit does, so results keep the version they answered. All or nothing, checked
/// first, one statement per table, under an advisory lock and with the items' rows locked in code order.
/// </summary>
public static class ItemImportStore
{
    public const int MaxLines = 100_000;

    static readonly HashSet<string> Fields = new(StringComparer.Ordinal) { "definition", "skills", "code", "tags" };

    const string LockItems = "SELECT id FROM hephaestus.items WHERE code = ANY ($1) ORDER BY code FOR UPDATE";

    const string ReadItems = """
        SELECT i.code, i.id, i.current_version, d.definition, i.tags,
               (SELECT coalesce(array_agg(s.skill_id ORDER BY s.skill_id), '{}') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id),
               (SELECT coalesce(array_agg(s.weight ORDER BY s.skill_id), '{}') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)
        FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = i.current_version
        JOIN hephaestus.item_definitions(ARRAY(SELECT c.id FROM hephaestus.items ci JOIN hephaestus.item_versions c
                                               ON c.item_id = ci.id AND c.version = ci.current_version WHERE ci.code = ANY ($1))) d ON d.id = v.id
        WHERE i.code = ANY ($1)
        """;

    const string KnownSkills = "SELECT coalesce(array_agg(id), '{}') FROM hephaestus.skills WHERE id = ANY ($1)";

    const string InsertItems = """
        INSERT INTO hephaestus.items (id, code, tags)
        SELECT id, code, ARRAY(SELECT jsonb_array_elements_text(tags)) FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS i (id, code, tags) ORDER BY code
        """;

    const string UpdateItems = """
        UPDATE hephaestus.items t SET current_version = i.version, tags = ARRAY(SELECT jsonb_array_elements_text(i.tags))
        FROM unnest($1::uuid[], $2::int[], $3::jsonb[]) AS i (id, version, tags) WHERE t.id = i.id
        """;

    const string InsertVersions = """
        INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points, created_by)
        SELECT id, item_id, version, type, definition, points, $7 FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::jsonb[], $6::numeric[])
            AS v (id, item_id, version, type, definition, points)
        """;

    const string InsertAlignments = """
        INSERT INTO hephaestus.item_version_skills (item_version_id, skill_id, weight)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::numeric[])
        """;

    sealed record StoredState(Guid Id, int Version, JsonElement Definition, string[] Tags, Guid[] Skills, decimal[] Weights);

    /// <summary>Reads a JSON Lines file (UTF-8, one object a line, blank lines skipped) into lines and every line's errors.</summary>
    public static async Task<(List<ItemLine> Lines, List<ValidationError> Errors, int Count)> ReadAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var lines = new List<ItemLine>();
        var errors = new List<ValidationError>();
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        var number = 0;
        var count = 0;
        while (await reader.ReadLineAsync(ct) is { } text)
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (++count > MaxLines)
            {
                errors.Add(new($"lines[{number}]", $"an import reads at most {MaxLines} lines"));
                break;
            }

            if (ReadLine(number, text, errors) is { } line)
            {
                if (codes.TryAdd(line.Code, number)) lines.Add(line);
                else errors.Add(new($"lines[{number}].code", $"repeats line {codes[line.Code]}"));
            }
        }

        return (lines, errors, count);
    }

    static ItemLine? ReadLine(int number, string text, List<ValidationError> errors)
    {
        var prefix = $"lines[{number}]";
        var before = errors.Count;
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            errors.Add(new(prefix, $"is not JSON: {e.Message}"));
            return null;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(prefix, "must be a JSON object: an item as POST /api/v1/items takes it, with its code"));
            return null;
        }

        foreach (var property in json.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
        {
            errors.Add(new($"{prefix}.{property.Name}", "is not a field of an item (definition, skills, code, tags)"));
        }

        string? code = null;
        if (!json.TryGetProperty("code", out var codeJson) || codeJson.ValueKind != JsonValueKind.String)
        {
            errors.Add(new($"{prefix}.code", "is required: the key a re-import finds the item by"));
        }
        else code = codeJson.GetString();

        var skills = ReadSkills(json, prefix, errors);
        var tags = ReadTags(json, prefix, errors);
        var definition = json.TryGetProperty("definition", out var d) ? d : default;
        var (item, ruleErrors) = ItemRules.Validate(definition, skills?.Select(s => (s.SkillId, s.Weight)).ToList(), code, tags);
        errors.AddRange(ruleErrors.Select(e => e with { Path = $"{prefix}.{e.Path}" }));
        return errors.Count > before || item is null ? null : new ItemLine(number, code!, item, skills!, tags ?? []);
    }

    static List<SkillAlignment>? ReadSkills(JsonElement json, string prefix, List<ValidationError> errors)
    {
        if (!json.TryGetProperty("skills", out var array)) return null;
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new($"{prefix}.skills", "must be an array of {skillId, weight}"));
            return null;
        }

        var skills = new List<SkillAlignment>();
        var i = 0;
        foreach (var skill in array.EnumerateArray())
        {
            var at = $"{prefix}.skills[{i++}]";
            if (skill.ValueKind != JsonValueKind.Object || !skill.TryGetProperty("skillId", out var id) || !id.TryGetGuid(out var skillId))
            {
                errors.Add(new($"{at}.skillId", "must be a skill's id"));
                continue;
            }

            var weight = 1m;
            if (skill.TryGetProperty("weight", out var w) && !w.TryGetDecimal(out weight)) errors.Add(new($"{at}.weight", "must be a number"));
            skills.Add(new SkillAlignment(skillId, weight));
        }

        return skills;
    }

    static List<string>? ReadTags(JsonElement json, string prefix, List<ValidationError> errors)
    {
        if (!json.TryGetProperty("tags", out var array) || array.ValueKind == JsonValueKind.Null) return null;
        if (array.ValueKind != JsonValueKind.Array || array.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
        {
            errors.Add(new($"{prefix}.tags", "must be an array of strings"));
            return null;
        }

        return [.. array.EnumerateArray().Select(t => t.GetString()!)];
    }

    /// <summary>Checks that every aligned skill exists, then writes every line or none; the actor must be an author or admin.</summary>
    public static async Task<ImportResult> ImportAsync(NpgsqlDataSource db, Actor actor, IReadOnlyList<ItemLine> lines, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(lines);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var codes = lines.Select(l => l.Code).Order(StringComparer.Ordinal).ToArray();
        await using (var batch = scope.Batch())
        {
            foreach (var command in ImportLock.Commands("items")) batch.BatchCommands.Add(command);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LockItems) { Parameters = { TextArray(codes) } });
            await batch.ExecuteNonQueryAsync(ct);
        }

        var errors = new List<ValidationError>();
        await using (var known = scope.Command(KnownSkills))
        {
            known.Parameters.Add(Uuids([.. lines.SelectMany(l => l.Skills).Select(s => s.SkillId).Distinct()]));
            var found = ((Guid[])(await known.ExecuteScalarAsync(ct))!).ToHashSet();
            foreach (var line in lines)
            {
                for (var i = 0; i < line.Skills.Count; i++)
                {
                    if (!found.Contains(line.Skills[i].SkillId)) errors.Add(new($"lines[{line.Line}].skills[{i}].skillId", $"no skill with id {line.Skills[i].SkillId}"));
                }
            }
        }

        if (errors.Count > 0) return ImportResult.Invalid(count, errors);

        var stored = new Dictionary<string, StoredState>(StringComparer.Ordinal);
        await using (var read = scope.Command(ReadItems))
        {
            read.Parameters.Add(TextArray(codes));
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                stored[reader.GetString(0)] = new StoredState(reader.GetGuid(1), reader.GetInt32(2), reader.GetJson(3), reader.GetFieldValue<string[]>(4),
                    reader.GetFieldValue<Guid[]>(5), reader.GetFieldValue<decimal[]>(6));
            }
        }

        var tally = new Tally();
        var newItems = new List<(Guid Id, ItemLine Line)>();
        var changedItems = new List<(Guid Id, int Version, ItemLine Line)>();
        var versions = new List<(Guid Id, Guid ItemId, int Version, ItemLine Line)>();
        foreach (var line in lines.OrderBy(l => l.Code, StringComparer.Ordinal))
        {
            if (!stored.TryGetValue(line.Code, out var current))
            {
                var id = Guid.CreateVersion7();
                newItems.Add((id, line));
                versions.Add((Guid.CreateVersion7(), id, 1, line));
                tally.Created++;
                continue;
            }

            var alignment = line.Skills.OrderBy(s => s.SkillId).ToList();
            var sameItem = JsonElement.DeepEquals(current.Definition, line.Definition.ToJson())
                && alignment.Select(s => s.SkillId).SequenceEqual(current.Skills) && alignment.Select(s => s.Weight).SequenceEqual(current.Weights);
            if (sameItem && current.Tags.SequenceEqual(line.Tags, StringComparer.Ordinal))
            {
                tally.Unchanged++;
                continue;
            }

            var version = sameItem ? current.Version : current.Version + 1;
            if (!sameItem) versions.Add((Guid.CreateVersion7(), current.Id, version, line));
            changedItems.Add((current.Id, version, line));
            tally.Updated++;
        }

        var counts = new Dictionary<string, ImportCounts>(StringComparer.Ordinal) { ["items"] = tally.ToCounts() };
        var importId = Guid.CreateVersion7();
        await using (var write = scope.Batch())
        {
            write.BatchCommands.Add(new NpgsqlBatchCommand(InsertItems)
            {
                Parameters = { Uuids([.. newItems.Select(i => i.Id)]), TextArray([.. newItems.Select(i => i.Line.Code)]), Tags(newItems.Select(i => i.Line)) },
            });
            write.BatchCommands.Add(new NpgsqlBatchCommand(UpdateItems)
            {
                Parameters = { Uuids([.. changedItems.Select(i => i.Id)]), new NpgsqlParameter<int[]> { TypedValue = [.. changedItems.Select(i => i.Version)] }, Tags(changedItems.Select(i => i.Line)) },
            });
            write.BatchCommands.Add(new NpgsqlBatchCommand(InsertVersions)
            {
                Parameters =
                {
                    Uuids([.. versions.Select(v => v.Id)]), Uuids([.. versions.Select(v => v.ItemId)]), new NpgsqlParameter<int[]> { TypedValue = [.. versions.Select(v => v.Version)] },
                    TextArray([.. versions.Select(v => v.Line.Definition.Type)]), JsonbArray(versions.Select(v => v.Line.Definition.ToJson().GetRawText())),
                    new NpgsqlParameter<decimal[]> { TypedValue = [.. versions.Select(v => v.Line.Definition.Points)] }, NullableUuid(actor.PersonId),
                },
            });
            var alignments = versions.SelectMany(v => v.Line.Skills.Select(s => (v.Id, s.SkillId, s.Weight))).ToList();
            write.BatchCommands.Add(new NpgsqlBatchCommand(InsertAlignments)
            {
                Parameters =
                {
                    Uuids([.. alignments.Select(a => a.Id)]), Uuids([.. alignments.Select(a => a.SkillId)]),
                    new NpgsqlParameter<decimal[]> { TypedValue = [.. alignments.Select(a => a.Weight)] },
                },
            });
            write.BatchCommands.Add(ImportAudit.Record(importId, "items", actor, count, counts));
            try
            {
                await write.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // An item made through the API took one of the new codes after the lock above.
                return new ImportResult(ImportOutcome.Conflict, count);
            }
        }

        await scope.CommitAsync(ct);
        return new ImportResult(ImportOutcome.Imported, count, counts, ImportId: importId);
    }

    static NpgsqlParameter Tags(IEnumerable<ItemLine> lines) => JsonbArray(lines.Select(l => JsonSerializer.Serialize(l.Tags)));

    static NpgsqlParameter JsonbArray(IEnumerable<string> json) =>
        new() { Value = json.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb };
}

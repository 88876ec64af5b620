using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Domain.Assessments;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>
/// The item bank. Items are typed JSON validated per type; editing an item makes a new version (results keep pointing
/// at the version answered). Authors and admins write; educators read the full item; learners never read the bank
/// (they see items only inside their attempts, without the answer key).
/// </summary>
public static class ItemsApi
{
    public static IEndpointRouteBuilder MapItems(this IEndpointRouteBuilder routes)
    {
        var items = routes.MapGroup("/api/v1/items").WithTags("Item bank").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        items.MapPost("/", Create).WithName("CreateItem");
        items.MapPut("/{itemId:guid}", NewVersion).WithName("CreateItemVersion");
        items.MapGet("/{itemId:guid}", Get).WithName("GetItem");
        items.MapGet("/{itemId:guid}/versions/{version:int}", Get).WithName("GetItemVersion");
        return routes;
    }

    internal static bool CanAuthor(Actor actor) => actor.Has(Role.Author) || actor.Has(Role.Admin);
    static bool SeesKeys(Actor actor) => CanAuthor(actor) || actor.Has(Role.Educator);

    static Validation Validate(ItemRequest request, out ItemDefinition? item)
    {
        var v = new Validation();
        item = null;
        if (request.Definition.ValueKind != JsonValueKind.Object) v.Add("definition", "must be a JSON object with a type");
        else
        {
            var (parsed, errors) = ItemDefinitionParser.Parse(request.Definition);
            v.AddRange(errors, "definition");
            item = parsed;
        }

        if (request.Skills is not { Count: > 0 }) v.Add("skills", "must align the item to at least one skill");
        else
        {
            for (var i = 0; i < request.Skills.Count; i++)
            {
                if (request.Skills[i].Weight is <= 0 or > 1) v.Add($"skills[{i}].weight", "must be greater than 0 and at most 1");
            }

            if (request.Skills.Select(s => s.SkillId).Distinct().Count() != request.Skills.Count) v.Add("skills", "must not repeat a skill");
        }

        if (request.Code is not null && !Domain.CatalogCode.Shape().IsMatch(request.Code)) v.Add("code", "must be letters, digits, '.', '_' or '-'");
        return v;
    }

    static async Task<Results<Created<ItemResponseBody>, ValidationProblem, ProblemHttpResult>> Create(ItemRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins write items.");
        var v = Validate(request, out var item);
        if (!v.IsValid) return v.ToProblem();

        var itemId = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var insert = scope.Command("INSERT INTO hephaestus.items (id, code) VALUES ($1, $2)"))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)request.Code ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return Problems.Conflict($"An item with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" });
            }
        }

        var unknown = await InsertVersionAsync(scope, actor, itemId, 1, item!, request.Skills, ct);
        if (unknown is not null) return unknown;
        var body = await ReadAsync(scope, itemId, null, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/items/{itemId}", body!);
    }

    /// <summary>Editing makes a new version. The item row is locked, so two edits at once make versions n+1 and n+2.</summary>
    static async Task<Results<Ok<ItemResponseBody>, ValidationProblem, ProblemHttpResult>> NewVersion(Guid itemId, ItemRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins write items.");
        var v = Validate(request, out var item);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        int current;
        await using (var lockItem = scope.Command("SELECT current_version FROM hephaestus.items WHERE id = $1 FOR UPDATE"))
        {
            lockItem.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
            if (await lockItem.ExecuteScalarAsync(ct) is not int version) return Problems.NotFound("item", itemId);
            current = version;
        }

        var unknown = await InsertVersionAsync(scope, actor, itemId, current + 1, item!, request.Skills, ct);
        if (unknown is not null) return unknown;
        await using (var bump = scope.Command("UPDATE hephaestus.items SET current_version = $2 WHERE id = $1"))
        {
            bump.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
            bump.Parameters.Add(new NpgsqlParameter<int> { TypedValue = current + 1 });
            await bump.ExecuteNonQueryAsync(ct);
        }

        var body = await ReadAsync(scope, itemId, null, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(body!);
    }

    static async Task<ValidationProblem?> InsertVersionAsync(ActorScope scope, Actor actor, Guid itemId, int version, ItemDefinition item,
        IReadOnlyList<SkillAlignment> skills, CancellationToken ct)
    {
        await using (var known = scope.Command("SELECT array_agg(id) FROM hephaestus.skills WHERE id = ANY ($1)"))
        {
            known.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = skills.Select(s => s.SkillId).ToArray() });
            var found = await known.ExecuteScalarAsync(ct) as Guid[] ?? [];
            var v = new Validation();
            for (var i = 0; i < skills.Count; i++)
            {
                if (!found.Contains(skills[i].SkillId)) v.Add($"skills[{i}].skillId", $"no skill with id {skills[i].SkillId}");
            }

            if (!v.IsValid) return v.ToProblem();
        }

        var versionId = Guid.CreateVersion7();
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points, created_by) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<Guid> { TypedValue = versionId }, new NpgsqlParameter<Guid> { TypedValue = itemId },
                        new NpgsqlParameter<int> { TypedValue = version }, new NpgsqlParameter<string> { TypedValue = item.Type },
                        new NpgsqlParameter<string> { TypedValue = item.ToJson().GetRawText() }, new NpgsqlParameter<decimal> { TypedValue = item.Points },
                        new NpgsqlParameter<Guid> { TypedValue = actor.UserId },
                    },
                },
                new NpgsqlBatchCommand("INSERT INTO hephaestus.item_version_skills (item_version_id, skill_id, weight) SELECT $1, s, w FROM unnest($2::uuid[], $3::numeric[]) AS u (s, w)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<Guid> { TypedValue = versionId },
                        new NpgsqlParameter<Guid[]> { TypedValue = skills.Select(s => s.SkillId).ToArray() },
                        new NpgsqlParameter<decimal[]> { TypedValue = skills.Select(s => s.Weight).ToArray() },
                    },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
        return null;
    }

    static async Task<Results<Ok<ItemResponseBody>, ProblemHttpResult>> Get(Guid itemId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, int? version = null)
    {
        var actor = http.RequireActor();
        if (!SeesKeys(actor)) return Problems.Forbidden("Items hold answer keys; learners see items only inside their attempts.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var body = await ReadAsync(scope, itemId, version, ct);
        return body is null ? Problems.NotFound("item", itemId) : TypedResults.Ok(body);
    }

    static async Task<ItemResponseBody?> ReadAsync(ActorScope scope, Guid itemId, int? version, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT i.id, i.code, v.id, v.version, v.type, v.definition::text, v.created_at,
                   (SELECT coalesce(json_agg(json_build_object('skillId', s.skill_id, 'weight', s.weight)), '[]') FROM hephaestus.item_version_skills s WHERE s.item_version_id = v.id)::text
            FROM hephaestus.items i JOIN hephaestus.item_versions v ON v.item_id = i.id AND v.version = coalesce($2, i.current_version)
            WHERE i.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = itemId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)version ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var skills = JsonSerializer.Deserialize<List<SkillAlignment>>(reader.GetString(7), JsonSerializerOptions.Web) ?? [];
        return new ItemResponseBody(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetGuid(2), reader.GetInt32(3),
            reader.GetString(4), JsonDocument.Parse(reader.GetString(5)).RootElement.Clone(), skills, reader.GetFieldValue<DateTimeOffset>(6));
    }
}

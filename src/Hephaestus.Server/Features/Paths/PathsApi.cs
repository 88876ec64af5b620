using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Paths;

/// <summary>
/// Authoring learning paths: a path has versions; a draft is edited (its steps replaced as a whole); publishing
/// freezes it (the database refuses any later change); retiring stops new enrollments. Authors and admins write;
/// anyone signed in reads.
/// </summary>
public static class PathsApi
{
    public static IEndpointRouteBuilder MapPaths(this IEndpointRouteBuilder routes)
    {
        var paths = routes.MapGroup("/api/v1/paths").WithTags("Learning paths").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        paths.MapPost("/", Create).WithName("CreatePath");
        paths.MapGet("/", List).WithName("ListPaths");
        paths.MapGet("/{pathId:guid}", Get).WithName("GetPath");
        paths.MapPost("/{pathId:guid}/versions", NewDraft).WithName("CreatePathDraft");
        paths.MapGet("/{pathId:guid}/versions/{versionId:guid}", GetVersion).WithName("GetPathVersion");
        paths.MapPut("/{pathId:guid}/versions/{versionId:guid}/steps", PutSteps).WithName("PutPathSteps");
        paths.MapPost("/{pathId:guid}/versions/{versionId:guid}/publish", Publish).WithName("PublishPathVersion");
        paths.MapPost("/{pathId:guid}/versions/{versionId:guid}/retire", Retire).WithName("RetirePathVersion");
        paths.MapDelete("/{pathId:guid}/versions/{versionId:guid}", DeleteDraft).WithName("DeletePathDraft");
        return routes;
    }

    static bool CanAuthor(Actor actor) => actor.Has(Role.Author) || actor.Has(Role.Admin);

    static async Task<Results<Created<PathResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreatePathRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create learning paths.");
        var v = new Validation().Text("title", request.Title, 1, 200).Text("code", request.Code, 1, 64);
        if (request.Code is not null && !PathSql.CodeShape().IsMatch(request.Code)) v.Add("code", "must be letters, digits, '.', '_' or '-', starting with a letter or digit");
        if (!v.IsValid) return v.ToProblem();

        var pathId = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var batch = new NpgsqlBatch(scope.Connection, scope.Transaction))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO hephaestus.learning_paths (id, code, title, description) VALUES ($1, $2, $3, $4)")
            {
                Parameters = { SqlParameters.Uuid(pathId), SqlParameters.Text(request.Code), SqlParameters.Text(request.Title), SqlParameters.Text(request.Description) },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)")
            {
                Parameters = { SqlParameters.Uuid(Guid.CreateVersion7()), SqlParameters.Uuid(pathId) },
            });
            try
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return Problems.Conflict($"A learning path with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" });
            }
        }

        var path = await PathSql.ReadPathAsync(scope, pathId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/paths/{pathId}", path!);
    }

    static async Task<Ok<Page<PathResponse>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var ids = new List<Guid>();
        await using (var command = scope.Command("SELECT id FROM hephaestus.learning_paths WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT 101"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        }

        var items = new List<PathResponse>();
        foreach (var id in ids.Take(100)) items.Add((await PathSql.ReadPathAsync(scope, id, ct))!);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(new Page<PathResponse>(items, ids.Count > 100 ? ids[99].ToString() : null));
    }

    static async Task<Results<Ok<PathResponse>, ProblemHttpResult>> Get(Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var path = await PathSql.ReadPathAsync(scope, pathId, ct);
        return path is null ? Problems.NotFound("learning path", pathId) : TypedResults.Ok(path);
    }

    /// <summary>A new draft starts as a copy of the newest version, so an author edits the next version, not a blank one.</summary>
    static async Task<Results<Created<PathVersionResponse>, ProblemHttpResult>> NewDraft(Guid pathId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit learning paths.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // The path row lock serializes two authors creating the next version at once.
        await using (var lockPath = scope.Command("SELECT 1 FROM hephaestus.learning_paths WHERE id = $1 FOR UPDATE"))
        {
            lockPath.Parameters.Add(SqlParameters.Uuid(pathId));
            if (await lockPath.ExecuteScalarAsync(ct) is null) return Problems.NotFound("learning path", pathId);
        }

        Guid? newestId;
        int newestNumber;
        await using (var newest = scope.Command("SELECT id, version FROM hephaestus.path_versions WHERE path_id = $1 ORDER BY version DESC LIMIT 1"))
        {
            newest.Parameters.Add(SqlParameters.Uuid(pathId));
            await using var reader = await newest.ExecuteReaderAsync(ct);
            (newestId, newestNumber) = await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.GetInt32(1)) : ((Guid?)null, 0);
        }

        var draftId = Guid.CreateVersion7();
        await using (var insert = scope.Command("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, $3)"))
        {
            insert.Parameters.Add(SqlParameters.Uuid(draftId));
            insert.Parameters.Add(SqlParameters.Uuid(pathId));
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = newestNumber + 1 });
            try
            {
                await insert.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "ux_path_versions_one_draft")
            {
                return Problems.Conflict("This path already has a draft version; edit it or delete it first.");
            }
        }

        if (newestId is { } sourceId)
        {
            var source = await PathSql.ReadVersionAsync(scope, pathId, sourceId, ct);
            var steps = source!.Steps.Select(s => new StepDefinition(s.Key, s.Kind, s.RefId, s.Title, s.TargetSkillIds, s.UnlockRule, s.EstimatedMinutes, [.. s.Prerequisites])).ToList();
            var ids = steps.ToDictionary(s => s.Key, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
            await PathSql.InsertStepsAsync(scope, draftId, steps, ids, ct);
            await PathSql.InsertPrerequisitesAsync(scope, draftId, steps, ids, ct);
        }

        var version = await PathSql.ReadVersionAsync(scope, pathId, draftId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/paths/{pathId}/versions/{draftId}", version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> GetVersion(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var version = await PathSql.ReadVersionAsync(scope, pathId, versionId, ct);
        return version is null ? Problems.NotFound("path version", versionId) : TypedResults.Ok(version);
    }

    /// <summary>
    /// Replaces every step of a draft in one transaction: validated as a whole (keys, references, rules, prerequisites),
    /// then written; a cycle among prerequisites is refused by the database and named by step keys.
    /// </summary>
    static async Task<Results<Ok<PathVersionResponse>, ValidationProblem, ProblemHttpResult>> PutSteps(
        Guid pathId, Guid versionId, PutStepsRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit learning paths.");
        var v = StepValidation.Shape(request);
        if (request.Steps is null) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var status = await PathSql.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != "draft") return Problems.Conflict($"Version {versionId} is {status}; a published version never changes. Create a new draft.");

        // References are checked even when the shape has errors, so one response lists every problem.
        await StepValidation.ReferencesAsync(scope, request, v, ct);
        if (!v.IsValid) return v.ToProblem();

        var stepIds = request.Steps.ToDictionary(s => s.Key, _ => Guid.CreateVersion7(), StringComparer.Ordinal);
        await using (var delete = scope.Command("DELETE FROM hephaestus.path_steps WHERE path_version_id = $1"))
        {
            delete.Parameters.Add(SqlParameters.Uuid(versionId));
            await delete.ExecuteNonQueryAsync(ct);
        }

        await PathSql.InsertStepsAsync(scope, versionId, request.Steps, stepIds, ct);
        try
        {
            await PathSql.InsertPrerequisitesAsync(scope, versionId, request.Steps, stepIds, ct);
        }
        catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.Cycle)
        {
            var keysById = stepIds.ToDictionary(p => p.Value, p => p.Key);
            var cycle = HephaestusSqlStates.CycleIds(e).Select(id => keysById.GetValueOrDefault(id, id.ToString())).ToList();
            return Problems.Conflict($"The step prerequisites form a cycle: {string.Join(" → ", cycle)}.",
                new Dictionary<string, object?> { ["cycle"] = cycle });
        }

        var version = await PathSql.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> Publish(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins publish learning paths.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var status = await PathSql.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != "draft") return Problems.Conflict($"Version {versionId} is already {status}.");
        var version = await PathSql.ReadVersionAsync(scope, pathId, versionId, ct);
        if (version!.Steps.Count == 0) return Problems.Conflict("A version without steps cannot be published.");
        await using (var publish = scope.Command("UPDATE hephaestus.path_versions SET status = 'published', published_at = now() WHERE id = $1"))
        {
            publish.Parameters.Add(SqlParameters.Uuid(versionId));
            await publish.ExecuteNonQueryAsync(ct);
        }

        version = await PathSql.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<Ok<PathVersionResponse>, ProblemHttpResult>> Retire(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins retire learning paths.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var status = await PathSql.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != "published") return Problems.Conflict($"Only a published version can be retired; version {versionId} is {status}.");
        await using (var retire = scope.Command("UPDATE hephaestus.path_versions SET status = 'retired', retired_at = now() WHERE id = $1"))
        {
            retire.Parameters.Add(SqlParameters.Uuid(versionId));
            await retire.ExecuteNonQueryAsync(ct);
        }

        var version = await PathSql.ReadVersionAsync(scope, pathId, versionId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(version!);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteDraft(Guid pathId, Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit learning paths.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var status = await PathSql.LockVersionAsync(scope, pathId, versionId, ct);
        if (status is null) return Problems.NotFound("path version", versionId);
        if (status != "draft") return Problems.Conflict($"Version {versionId} is {status}; only a draft can be deleted.");
        await using (var delete = scope.Command("DELETE FROM hephaestus.path_versions WHERE id = $1"))
        {
            delete.Parameters.Add(SqlParameters.Uuid(versionId));
            await delete.ExecuteNonQueryAsync(ct);
        }

        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    internal static JsonElement? ParseJson(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();
}

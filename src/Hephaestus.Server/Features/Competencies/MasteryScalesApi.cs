using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// Mastery scales: ordered levels with thresholds, exactly one of them "mastery". A scale in use (recorded mastery or
/// evidence refers to it) keeps its levels; a new version is made instead. The database enforces both rules too.
/// </summary>
internal static class MasteryScalesApi
{
    public const int MaxLevels = 20;

    public static void Map(RouteGroupBuilder api)
    {
        var scales = api.MapGroup("/mastery-scales").WithTags("Competencies");
        scales.MapPost("/", Create).WithName("CreateMasteryScale");
        scales.MapGet("/", List).WithName("ListMasteryScales");
        scales.MapGet("/{scaleId:guid}", Get).WithName("GetMasteryScale");
        scales.MapPut("/{scaleId:guid}", Replace).WithName("ReplaceMasteryScale");
        scales.MapPost("/{scaleId:guid}/versions", NewVersion).WithName("CreateMasteryScaleVersion");
    }

    static Validation Check(MasteryScaleRequest request)
    {
        var v = new Validation().Text("name", request.Name, 1, 200);
        if (request.Levels is null) return v.Add("levels", "is required");
        if (request.Levels.Count < 2) v.Add("levels", "must have at least 2 levels");
        if (request.Levels.Count > MaxLevels) v.Add("levels", $"must have at most {MaxLevels} levels");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Levels.Count; i++)
        {
            var level = request.Levels[i];
            var at = $"levels[{i}]";
            if (level.Name is null || !CompetencySql.LevelNameShape().IsMatch(level.Name)) v.Add($"{at}.name", "must be 1–40 of a-z, 0-9 or '_', starting with a letter");
            else if (!names.Add(level.Name)) v.Add($"{at}.name", $"'{level.Name}' is used by an earlier level");
            if (level.Threshold is < 0 or > 1) v.Add($"{at}.threshold", "must be between 0 and 1");
            else if (decimal.Round(level.Threshold, 4) != level.Threshold) v.Add($"{at}.threshold", "must have at most 4 decimal places");
            else if (i > 0 && level.Threshold <= request.Levels[i - 1].Threshold) v.Add($"{at}.threshold", "must be greater than the previous level's threshold (levels are listed from lowest to highest)");
            if (level.Points is { } points && (points < 0 || points >= 1_000_000 || decimal.Round(points, 2) != points)) v.Add($"{at}.points", "must be from 0 to 999999.99 with at most 2 decimal places");
            if (level.Color is { } color && !CompetencySql.ColorShape().IsMatch(color)) v.Add($"{at}.color", "must be a color like '#1865f2'");
        }

        var mastery = request.Levels.Count(l => l.IsMastery);
        if (mastery != 1) v.Add("levels", $"exactly one level must have isMastery = true (found {mastery})");
        return v;
    }

    static async Task<Results<Created<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> Create(
        MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create mastery scales.");
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        var id = Guid.CreateVersion7();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await InsertAsync(scope, id, id, 1, request, ct);
        var scale = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/mastery-scales/{id}", scale!);
    }

    static async Task<Ok<IReadOnlyList<MasteryScaleResponse>>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        return TypedResults.Ok(await ReadManyAsync(scope, null, ct));
    }

    static async Task<Results<Ok<MasteryScaleResponse>, ProblemHttpResult>> Get(Guid scaleId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var scale = await ReadAsync(scope, scaleId, ct);
        return scale is null ? Problems.NotFound("mastery scale", scaleId) : TypedResults.Ok(scale);
    }

    /// <summary>
    /// Replaces the name and levels. Levels of a scale in use are frozen (a name-only change is fine): the row lock makes
    /// two replacements of one scale take turns, and the trigger mastery_levels_frozen_in_use refuses what slips past.
    /// </summary>
    static async Task<Results<Ok<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> Replace(
        Guid scaleId, MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins edit mastery scales.");
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await CompetencySql.ExistsAsync(scope, "SELECT 1 FROM hephaestus.mastery_scales WHERE id = $1 FOR UPDATE", scaleId, ct))
        {
            return Problems.NotFound("mastery scale", scaleId);
        }

        var current = (await ReadAsync(scope, scaleId, ct))!;
        var levelsChange = !current.Levels.Select(l => (l.Name, l.Threshold, l.Points, l.Color, l.IsMastery))
            .SequenceEqual(request.Levels.Select(l => (l.Name, l.Threshold, l.Points, l.Color, l.IsMastery)));
        if (levelsChange && current.InUse) return InUse(scaleId);

        await using (var rename = scope.Command("UPDATE hephaestus.mastery_scales SET name = $2 WHERE id = $1"))
        {
            rename.Parameters.Add(SqlParameters.Uuid(scaleId));
            rename.Parameters.Add(SqlParameters.Text(request.Name));
            await rename.ExecuteNonQueryAsync(ct);
        }

        if (levelsChange)
        {
            try
            {
                await using (var delete = scope.Command("DELETE FROM hephaestus.mastery_levels WHERE scale_id = $1"))
                {
                    delete.Parameters.Add(SqlParameters.Uuid(scaleId));
                    await delete.ExecuteNonQueryAsync(ct);
                }

                await InsertLevelsAsync(scope, scaleId, request.Levels, ct);
            }
            catch (PostgresException e) when (e.SqlState == HephaestusSqlStates.ScaleInUse)
            {
                return InUse(scaleId);
            }
        }

        var scale = await ReadAsync(scope, scaleId, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(scale!);
    }

    static ProblemHttpResult InUse(Guid scaleId) => Problems.Conflict(
        $"Mastery scale {scaleId} is in use (mastery or evidence is recorded against it), so its levels cannot change; only its name can. " +
        $"Create a new version with POST /api/v1/mastery-scales/{scaleId}/versions and point frameworks to it.",
        new Dictionary<string, object?> { ["field"] = "levels" });

    /// <summary>Version n+1 of the scale's family, a new scale with its own id; frameworks keep the version they point to.</summary>
    static async Task<Results<Created<MasteryScaleResponse>, ValidationProblem, ProblemHttpResult>> NewVersion(
        Guid scaleId, MasteryScaleRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!CompetenciesApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create mastery scales.");
        var v = Check(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // Locking every version of the family makes two new versions take turns; the next statement's fresh snapshot
        // then sees the version the other one committed.
        Guid familyId;
        await using (var lockFamily = scope.Command("""
            SELECT family_id FROM hephaestus.mastery_scales
            WHERE family_id = (SELECT family_id FROM hephaestus.mastery_scales WHERE id = $1)
            ORDER BY version FOR UPDATE
            """))
        {
            lockFamily.Parameters.Add(SqlParameters.Uuid(scaleId));
            if (await lockFamily.ExecuteScalarAsync(ct) is not Guid family) return Problems.NotFound("mastery scale", scaleId);
            familyId = family;
        }

        int next;
        await using (var newest = scope.Command("SELECT max(version) + 1 FROM hephaestus.mastery_scales WHERE family_id = $1"))
        {
            newest.Parameters.Add(SqlParameters.Uuid(familyId));
            next = (int)(await newest.ExecuteScalarAsync(ct))!;
        }

        var id = Guid.CreateVersion7();
        await InsertAsync(scope, id, familyId, next, request, ct);
        var scale = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/mastery-scales/{id}", scale!);
    }

    static async Task InsertAsync(ActorScope scope, Guid id, Guid familyId, int version, MasteryScaleRequest request, CancellationToken ct)
    {
        await using (var insert = scope.Command("INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES ($1, $2, $3, $4)"))
        {
            insert.Parameters.Add(SqlParameters.Uuid(id));
            insert.Parameters.Add(SqlParameters.Uuid(familyId));
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
            insert.Parameters.Add(SqlParameters.Text(request.Name));
            await insert.ExecuteNonQueryAsync(ct);
        }

        await InsertLevelsAsync(scope, id, request.Levels, ct);
    }

    /// <summary>All levels in one statement; rank is the position in the list.</summary>
    static async Task InsertLevelsAsync(ActorScope scope, Guid scaleId, IReadOnlyList<MasteryLevelDefinition> levels, CancellationToken ct)
    {
        await using var command = scope.Command("""
            INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, points, color, is_mastery)
            SELECT $1, u.ord - 1, u.name, u.threshold, u.points, u.color, u.is_mastery
            FROM unnest($2::text[], $3::numeric[], $4::numeric[], $5::text[], $6::boolean[]) WITH ORDINALITY AS u (name, threshold, points, color, is_mastery, ord)
            """);
        command.Parameters.Add(SqlParameters.Uuid(scaleId));
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = levels.Select(l => l.Name).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = levels.Select(l => l.Threshold).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = levels.Select(l => (object?)l.Points ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
        command.Parameters.Add(new NpgsqlParameter { Value = levels.Select(l => (object?)l.Color ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = levels.Select(l => l.IsMastery).ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<MasteryScaleResponse?> ReadAsync(ActorScope scope, Guid scaleId, CancellationToken ct) =>
        (await ReadManyAsync(scope, scaleId, ct)).SingleOrDefault();

    /// <summary>One scale, or every scale (by family, then version) when no id is given; one statement either way.</summary>
    static async Task<IReadOnlyList<MasteryScaleResponse>> ReadManyAsync(ActorScope scope, Guid? scaleId, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT s.id, s.family_id, s.version, s.name, s.created_at, hephaestus.mastery_scale_in_use(s.id),
                   l.rank, l.name, l.threshold, l.points, l.color, l.is_mastery
            FROM hephaestus.mastery_scales s
            LEFT JOIN hephaestus.mastery_levels l ON l.scale_id = s.id
            WHERE $1::uuid IS NULL OR s.id = $1
            ORDER BY s.family_id, s.version, l.rank
            """);
        command.Parameters.Add(SqlParameters.NullableUuid(scaleId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var scales = new List<MasteryScaleResponse>();
        List<MasteryLevelResponse> levels = [];
        while (await reader.ReadAsync(ct))
        {
            if (scales.Count == 0 || scales[^1].Id != reader.GetGuid(0))
            {
                levels = [];
                scales.Add(new MasteryScaleResponse(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5), levels));
            }

            if (reader.IsDBNull(6)) continue;
            levels.Add(new MasteryLevelResponse(reader.GetInt16(6), reader.GetString(7), reader.GetDecimal(8),
                reader.IsDBNull(9) ? null : reader.GetDecimal(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetBoolean(11)));
        }

        return scales;
    }
}

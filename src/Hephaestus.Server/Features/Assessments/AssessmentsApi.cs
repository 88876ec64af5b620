using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>Assessments: fixed items and pools drawn by skill, with validated settings. Authors and admins write; anyone signed in reads.</summary>
public static class AssessmentsApi
{
    public static readonly string[] FeedbackLevels = ["none", "score", "full"];

    public static IEndpointRouteBuilder MapAssessments(this IEndpointRouteBuilder routes)
    {
        var assessments = routes.MapGroup("/api/v1/assessments").WithTags("Assessments").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        assessments.MapPost("/", Create).WithName("CreateAssessment");
        assessments.MapGet("/{assessmentId:guid}", Get).WithName("GetAssessment");
        return routes;
    }

    static Validation Validate(AssessmentRequest request)
    {
        var v = new Validation().Text("title", request.Title, 1, 200);
        var s = request.Settings ?? new AssessmentSettings();
        if (s.AttemptsAllowed is < 1 or > 100) v.Add("settings.attemptsAllowed", "must be 1 to 100, or left out for unlimited");
        if (s.TimeLimitSeconds is < 10 or > 7 * 24 * 3600) v.Add("settings.timeLimitSeconds", "must be 10 seconds to 7 days, or left out");
        if (s.PassScore is < 0 or > 1) v.Add("settings.passScore", "must be between 0 and 1");
        if (!FeedbackLevels.Contains(s.Feedback)) v.Add("settings.feedback", "must be 'none', 'score' or 'full'");
        if (request.Parts is not { Count: > 0 }) return v.Add("parts", "must have at least one part");
        if (request.Parts.Count > 200) v.Add("parts", "must have at most 200 parts");
        for (var i = 0; i < request.Parts.Count; i++)
        {
            var p = request.Parts[i];
            if ((p.ItemId is null) == (p.PoolSkillId is null)) v.Add($"parts[{i}]", "must name either itemId or poolSkillId");
            if (p.PoolSkillId is not null && p.PoolCount is not (>= 1 and <= 100)) v.Add($"parts[{i}].poolCount", "must be 1 to 100 for a pool");
            if (p.ItemId is not null && p.PoolCount is not null) v.Add($"parts[{i}].poolCount", "applies only to a pool");
            if (p.ItemVersion is < 1) v.Add($"parts[{i}].itemVersion", "must be 1 or more");
        }

        return v;
    }

    static async Task<Results<Created<AssessmentResponseBody>, ValidationProblem, ProblemHttpResult>> Create(AssessmentRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!ItemsApi.CanAuthor(actor)) return Problems.Forbidden("Only authors and admins create assessments.");
        var v = Validate(request);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);

        // References: items (and pinned versions) and pool skills must exist.
        await using (var check = scope.Command("""
            SELECT u.ord,
                   CASE WHEN u.item_id IS NOT NULL THEN EXISTS (SELECT 1 FROM hephaestus.item_versions iv WHERE iv.item_id = u.item_id AND (u.version IS NULL OR iv.version = u.version))
                        ELSE EXISTS (SELECT 1 FROM hephaestus.skills s WHERE s.id = u.skill_id) END
            FROM unnest($1::uuid[], $2::int[], $3::uuid[]) WITH ORDINALITY AS u (item_id, version, skill_id, ord)
            """))
        {
            check.Parameters.Add(new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.ItemId ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid });
            check.Parameters.Add(new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.ItemVersion ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer });
            check.Parameters.Add(new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.PoolSkillId ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid });
            await using var reader = await check.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var i = (int)reader.GetInt64(0) - 1;
                if (reader.GetBoolean(1)) continue;
                if (request.Parts[i].ItemId is not null) v.Add($"parts[{i}].itemId", "no such item (or item version)");
                else v.Add($"parts[{i}].poolSkillId", "no such skill");
            }
        }

        if (!v.IsValid) return v.ToProblem();
        var id = Guid.CreateVersion7();
        var settings = request.Settings ?? new AssessmentSettings();
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("INSERT INTO hephaestus.assessments (id, title, settings) VALUES ($1, $2, $3::jsonb)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<Guid> { TypedValue = id }, new NpgsqlParameter<string> { TypedValue = request.Title },
                        new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(settings, JsonSerializerOptions.Web) },
                    },
                },
                new NpgsqlBatchCommand("""
                    INSERT INTO hephaestus.assessment_parts (assessment_id, position, item_id, item_version, pool_skill_id, pool_count)
                    SELECT $1, u.ord - 1, u.item_id, u.version, u.skill_id, u.count
                    FROM unnest($2::uuid[], $3::int[], $4::uuid[], $5::smallint[]) WITH ORDINALITY AS u (item_id, version, skill_id, count, ord)
                    """)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<Guid> { TypedValue = id },
                        new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.ItemId ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid },
                        new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.ItemVersion ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer },
                        new NpgsqlParameter { Value = request.Parts.Select(p => (object?)p.PoolSkillId ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid },
                        new NpgsqlParameter { Value = request.Parts.Select(p => p.PoolCount is { } c ? (object)(short)c : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Smallint },
                    },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
        var body = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Created($"/api/v1/assessments/{id}", body!);
    }

    static async Task<Results<Ok<AssessmentResponseBody>, ProblemHttpResult>> Get(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var body = await ReadAsync(scope, assessmentId, ct);
        return body is null ? Problems.NotFound("assessment", assessmentId) : TypedResults.Ok(body);
    }

    internal static async Task<AssessmentResponseBody?> ReadAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT a.title, a.settings::text, a.created_at, p.item_id, p.item_version, p.pool_skill_id, p.pool_count
            FROM hephaestus.assessments a LEFT JOIN hephaestus.assessment_parts p ON p.assessment_id = a.id
            WHERE a.id = $1 ORDER BY p.position
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        AssessmentResponseBody? body = null;
        var parts = new List<AssessmentPart>();
        while (await reader.ReadAsync(ct))
        {
            body ??= new AssessmentResponseBody(id, reader.GetString(0), JsonSerializer.Deserialize<AssessmentSettings>(reader.GetString(1), JsonSerializerOptions.Web)!, parts,
                reader.GetFieldValue<DateTimeOffset>(2));
            if (!reader.IsDBNull(3) || !reader.IsDBNull(5))
            {
                parts.Add(new AssessmentPart(reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.IsDBNull(4) ? null : reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetGuid(5), reader.IsDBNull(6) ? null : reader.GetInt16(6)));
            }
        }

        return body;
    }
}

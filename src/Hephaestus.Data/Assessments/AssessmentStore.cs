using System.Text.Json;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>Attempts allowed (null: unlimited), time limit, pass score (0..1) and what feedback a learner gets on submission.</summary>
public sealed record AssessmentSettings(int? AttemptsAllowed = null, int? TimeLimitSeconds = null, double? PassScore = null, FeedbackLevel Feedback = FeedbackLevel.Score);

/// <summary>One part: a fixed item (optionally pinned to a version) or <c>poolCount</c> items drawn from those aligned to <c>poolSkillId</c>.</summary>
public sealed record AssessmentPart(Guid? ItemId = null, int? ItemVersion = null, Guid? PoolSkillId = null, int? PoolCount = null);

/// <param name="AttemptPolicy">How attempts combine into the score paths and gradebooks use (Data/Kernel/AttemptScores).</param>
public sealed record Assessment(Guid Id, string Title, AssessmentSettings Settings, IReadOnlyList<AssessmentPart> Parts, DateTimeOffset CreatedAt,
    AttemptPolicy AttemptPolicy);

/// <summary>A new assessment, or why none was made (each part that refers to nothing, by its field).</summary>
public sealed record AssessmentWrite(Assessment? Created, IReadOnlyList<ValidationError> Errors);

/// <summary>Assessments: fixed items and pools drawn by skill. Settings are stored as the JSON document the API shows.</summary>
public static class AssessmentStore
{
    public static async Task<AssessmentWrite> CreateAsync(NpgsqlDataSource db, Actor actor, string title, IReadOnlyList<AssessmentPart> parts, AssessmentSettings settings,
        AttemptPolicy attemptPolicy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parts);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var errors = new List<ValidationError>();

        // References: items (and pinned versions) and pool skills must exist.
        await using (var check = scope.Command("""
            SELECT u.ord,
                   CASE WHEN u.item_id IS NOT NULL THEN EXISTS (SELECT 1 FROM hephaestus.item_versions iv WHERE iv.item_id = u.item_id AND (u.version IS NULL OR iv.version = u.version))
                        ELSE EXISTS (SELECT 1 FROM hephaestus.skills s WHERE s.id = u.skill_id) END
            FROM unnest($1::uuid[], $2::int[], $3::uuid[]) WITH ORDINALITY AS u (item_id, version, skill_id, ord)
            """))
        {
            check.Parameters.Add(NullableUuids(parts.Select(p => p.ItemId)));
            check.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = [.. parts.Select(p => p.ItemVersion)] });
            check.Parameters.Add(NullableUuids(parts.Select(p => p.PoolSkillId)));
            await using var reader = await check.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var i = (int)reader.GetInt64(0) - 1;
                if (reader.GetBoolean(1)) continue;
                errors.Add(parts[i].ItemId is not null
                    ? new ValidationError($"parts[{i}].itemId", "no such item (or item version)")
                    : new ValidationError($"parts[{i}].poolSkillId", "no such skill"));
            }
        }

        if (errors.Count > 0) return new AssessmentWrite(null, errors);
        var id = Guid.CreateVersion7();
        await scope.ExecuteAsync(
        [
            new NpgsqlBatchCommand("INSERT INTO hephaestus.assessments (id, title, settings, attempt_policy) VALUES ($1, $2, $3, $4)")
            {
                Parameters = { Uuid(id), Text(title), JsonbOf(settings, JsonSerializerOptions.Web), Text(attemptPolicy.ToWireName()) },
            },
            new NpgsqlBatchCommand("""
                INSERT INTO hephaestus.assessment_parts (assessment_id, position, item_id, item_version, pool_skill_id, pool_count)
                SELECT $1, u.ord - 1, u.item_id, u.version, u.skill_id, u.count
                FROM unnest($2::uuid[], $3::int[], $4::uuid[], $5::smallint[]) WITH ORDINALITY AS u (item_id, version, skill_id, count, ord)
                """)
            {
                Parameters =
                {
                    Uuid(id), NullableUuids(parts.Select(p => p.ItemId)), new NpgsqlParameter<int?[]> { TypedValue = [.. parts.Select(p => p.ItemVersion)] },
                    NullableUuids(parts.Select(p => p.PoolSkillId)), new NpgsqlParameter<short?[]> { TypedValue = [.. parts.Select(p => (short?)p.PoolCount)] },
                },
            },
        ], ct);
        var created = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new AssessmentWrite(created, []);
    }

    public static async Task<Assessment?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return await ReadAsync(scope, id, ct);
    }

    internal static async Task<Assessment?> ReadAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command("""
            SELECT a.title, a.settings, a.created_at, p.item_id, p.item_version, p.pool_skill_id, p.pool_count, a.attempt_policy
            FROM hephaestus.assessments a LEFT JOIN hephaestus.assessment_parts p ON p.assessment_id = a.id
            WHERE a.id = $1 ORDER BY p.position
            """);
        command.Parameters.Add(Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assessment? assessment = null;
        var parts = new List<AssessmentPart>();
        while (await reader.ReadAsync(ct))
        {
            assessment ??= new Assessment(id, reader.GetString(0), Settings(reader.GetJson(1)), parts, reader.GetTime(2), AttemptPolicies.Parse(reader.GetString(7)));
            if (!reader.IsDBNull(3) || !reader.IsDBNull(5))
            {
                parts.Add(new AssessmentPart(reader.GetNullableGuid(3), reader.GetNullableInt32(4), reader.GetNullableGuid(5),
                    reader.IsDBNull(6) ? null : reader.GetInt16(6)));
            }
        }

        return assessment;
    }

    internal static AssessmentSettings Settings(JsonElement stored) => stored.Deserialize<AssessmentSettings>(JsonSerializerOptions.Web)!;
}

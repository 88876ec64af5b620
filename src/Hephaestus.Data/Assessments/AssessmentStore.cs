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

/// <summary>
/// When attempts may start (from, inclusive, to until, exclusive) and when they are due; each null means no bound. A
/// submission after <see cref="DueAt"/> is accepted and marked late.
/// </summary>
public sealed record AssessmentSchedule(DateTimeOffset? AvailableFrom = null, DateTimeOffset? AvailableUntil = null, DateTimeOffset? DueAt = null);

/// <summary>
/// An assessment at its current <see cref="Version"/> (settings and parts are that version's). <see cref="RowVersion"/>
/// is the row's xmin, which the edge sends as the ETag. <see cref="AttemptPolicy"/>: how attempts combine into the score
/// paths and gradebooks use (Data/Kernel/AttemptScores).
/// </summary>
public sealed record Assessment(Guid Id, string Title, AssessmentSettings Settings, IReadOnlyList<AssessmentPart> Parts, DateTimeOffset CreatedAt,
    string? Description, int Version, AssessmentStatus Status, AssessmentSchedule Schedule, DateTimeOffset? RetiredAt, DateTimeOffset UpdatedAt, uint RowVersion,
    AttemptPolicy AttemptPolicy);

/// <summary>A new assessment, or why none was made (each part that refers to nothing, by its field).</summary>
public sealed record AssessmentWrite(Assessment? Created, IReadOnlyList<ValidationError> Errors);

/// <summary>What a new assessment is made of.</summary>
public sealed record NewAssessment(string Title, IReadOnlyList<AssessmentPart> Parts, AssessmentSettings Settings, string? Description = null,
    AssessmentSchedule? Schedule = null, AttemptPolicy AttemptPolicy = AttemptPolicy.Highest);

/// <summary>
/// Assessments: fixed items and pools drawn by skill. Settings are stored as the JSON document the API shows. Settings
/// and parts belong to a version (assessment_versions, assessment_parts); attempts take the current one, and a version
/// that attempts took never changes (see <c>AssessmentStore.Editing.cs</c>).
/// </summary>
public static partial class AssessmentStore
{
    /// <summary>
    /// Starting an attempt holds this shared, editing or retiring it exclusively: an attempt never starts on a version
    /// that is being edited in place, nor on an assessment being retired. An advisory lock because a learner, who starts
    /// attempts, may not lock catalog rows.
    /// </summary>
    internal const string LockForStart = "SELECT pg_advisory_xact_lock_shared(hashtextextended('assessment:' || $1::text, 0))";

    internal const string LockForEdit = "SELECT pg_advisory_xact_lock(hashtextextended('assessment:' || $1::text, 0))";

    /// <summary>The current version's parts (of <c>a</c>) as a JSON array of parts, in position order.</summary>
    const string PartsOfCurrentVersion = """
        (SELECT coalesce(json_agg(json_build_object('itemId', p.item_id, 'itemVersion', p.item_version, 'poolSkillId', p.pool_skill_id,
                                                    'poolCount', p.pool_count) ORDER BY p.position), '[]')
         FROM hephaestus.assessment_parts p WHERE p.assessment_id = a.id AND p.version = a.version)
        """;

    /// <summary>Read by <see cref="ReadAssessment"/>.</summary>
    const string Columns = $"""
        a.id, a.title, a.settings, a.created_at, {PartsOfCurrentVersion}, a.description, a.version, a.status, a.available_from,
        a.available_until, a.due_at, a.retired_at, a.updated_at, a.xmin, a.attempt_policy
        """;

    public static async Task<AssessmentWrite> CreateAsync(NpgsqlDataSource db, Actor actor, NewAssessment assessment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(assessment);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var errors = await CheckPartsAsync(scope, assessment.Parts, ct);
        if (errors.Count > 0) return new AssessmentWrite(null, errors);

        var id = Guid.CreateVersion7();
        var schedule = assessment.Schedule ?? new AssessmentSchedule();
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.assessments (id, title, settings, description, available_from, available_until, due_at, attempt_policy)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """)
        {
            Parameters =
            {
                Uuid(id), Text(assessment.Title), JsonbOf(assessment.Settings, JsonSerializerOptions.Web), Text(assessment.Description),
                NullableTime(schedule.AvailableFrom), NullableTime(schedule.AvailableUntil), NullableTime(schedule.DueAt),
                Text(assessment.AttemptPolicy.ToWireName()),
            },
        };
        await scope.ExecuteAsync([insert, .. WriteVersion(id, 1, assessment.Settings, assessment.Parts, actor)], ct);
        var created = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new AssessmentWrite(created, []);
    }

    /// <summary>Every part must refer to something: items (and pinned versions) and pool skills.</summary>
    static async Task<List<ValidationError>> CheckPartsAsync(ActorScope scope, IReadOnlyList<AssessmentPart> parts, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        await using var check = scope.Command("""
            SELECT u.ord,
                   CASE WHEN u.item_id IS NOT NULL THEN EXISTS (SELECT 1 FROM hephaestus.item_versions iv WHERE iv.item_id = u.item_id AND (u.version IS NULL OR iv.version = u.version))
                        ELSE EXISTS (SELECT 1 FROM hephaestus.skills s WHERE s.id = u.skill_id) END
            FROM unnest($1::uuid[], $2::int[], $3::uuid[]) WITH ORDINALITY AS u (item_id, version, skill_id, ord)
            """);
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

        return errors;
    }

    /// <summary>A version's row and its parts.</summary>
    static NpgsqlBatchCommand[] WriteVersion(Guid id, int version, AssessmentSettings settings, IReadOnlyList<AssessmentPart> parts, Actor actor) =>
    [
        new("INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings, created_by) VALUES ($1, $2, $3, $4)")
        {
            Parameters = { Uuid(id), Int(version), JsonbOf(settings, JsonSerializerOptions.Web), Uuid(actor.UserId) },
        },
        WriteParts(id, version, parts),
    ];

    static NpgsqlBatchCommand WriteParts(Guid id, int version, IReadOnlyList<AssessmentPart> parts) => new("""
        INSERT INTO hephaestus.assessment_parts (assessment_id, version, position, item_id, item_version, pool_skill_id, pool_count)
        SELECT $1, $2, u.ord - 1, u.item_id, u.version, u.skill_id, u.count
        FROM unnest($3::uuid[], $4::int[], $5::uuid[], $6::smallint[]) WITH ORDINALITY AS u (item_id, version, skill_id, count, ord)
        """)
    {
        Parameters =
        {
            Uuid(id), Int(version), NullableUuids(parts.Select(p => p.ItemId)), new NpgsqlParameter<int?[]> { TypedValue = [.. parts.Select(p => p.ItemVersion)] },
            NullableUuids(parts.Select(p => p.PoolSkillId)), new NpgsqlParameter<short?[]> { TypedValue = [.. parts.Select(p => (short?)p.PoolCount)] },
        },
    };

    public static async Task<Assessment?> ReadAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        return await ReadAsync(scope, id, ct);
    }

    internal static async Task<Assessment?> ReadAsync(ActorScope scope, Guid id, CancellationToken ct, bool forUpdate = false)
    {
        await using var command = scope.Command($"SELECT {Columns} FROM hephaestus.assessments a WHERE a.id = $1{(forUpdate ? " FOR UPDATE" : "")}");
        command.Parameters.Add(Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAssessment(reader) : null;
    }

    /// <summary>A row of <see cref="Columns"/>.</summary>
    static Assessment ReadAssessment(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), Settings(reader.GetJson(2)), reader.GetJson(4).Deserialize<List<AssessmentPart>>(JsonSerializerOptions.Web)!,
        reader.GetTime(3), reader.GetNullableString(5), reader.GetInt32(6), WireNames<AssessmentStatus>.Parse(reader.GetString(7)),
        new AssessmentSchedule(reader.GetNullableTime(8), reader.GetNullableTime(9), reader.GetNullableTime(10)), reader.GetNullableTime(11),
        reader.GetTime(12), reader.GetFieldValue<uint>(13), AttemptPolicies.Parse(reader.GetString(14)));

    /// <summary>The settings of one version: those an attempt that took it is scored and answered under.</summary>
    internal static async Task<AssessmentSettings> ReadVersionSettingsAsync(ActorScope scope, Guid assessmentId, int version, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT settings FROM hephaestus.assessment_versions WHERE assessment_id = $1 AND version = $2");
        command.Parameters.Add(Uuid(assessmentId));
        command.Parameters.Add(Int(version));
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return Settings(reader.GetJson(0));
    }

    internal static AssessmentSettings Settings(JsonElement stored) => stored.Deserialize<AssessmentSettings>(JsonSerializerOptions.Web)!;
}

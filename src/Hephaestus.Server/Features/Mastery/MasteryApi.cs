using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Mastery;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Mastery;

public sealed record MasteryResponse(Guid SkillId, string SkillCode, double? Value, string? Level, bool Mastered, int EvidenceCount,
    DateTimeOffset? LastEvidenceAt, string Method, DateTimeOffset UpdatedAt);

public sealed record EvidenceResponse(Guid Id, Guid SkillId, double Score, double Weight, DateTimeOffset ObservedAt, DateTimeOffset? DueAt, string Source,
    Guid? AttemptId, Guid? ResultId, Guid? ItemVersionId, Guid? RubricAssessmentId, int Sequence);

public sealed record ReplayPoint(DateTimeOffset ObservedAt, double Score, double? Value, string? Level);

public sealed record ReplayResponse(Guid SkillId, string Method, string Ordering, MasteryParameters Parameters, double? Value, string? Level, bool Mastered,
    int EvidenceCount, double? StoredValue, string? StoredLevel, IReadOnlyList<ReplayPoint> Trajectory);

/// <summary>
/// A learner's mastery, the evidence behind it, and "what if": the same evidence replayed under another method,
/// parameters or ordering, computed on the fly and never written. Reads follow row-level security: the learner,
/// their cohorts' educators, admins.
/// </summary>
public static class MasteryApi
{
    public static IEndpointRouteBuilder MapMastery(this IEndpointRouteBuilder routes)
    {
        var learners = routes.MapGroup("/api/v1/learners/{learnerId:guid}").WithTags("Mastery").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        learners.MapGet("/mastery", List).WithName("ListMastery");
        learners.MapGet("/mastery/{skillId:guid}/replay", Replay).WithName("ReplayMastery");
        learners.MapGet("/evidence", Evidence).WithName("ListEvidence");
        return routes;
    }

    static async Task<Results<Ok<IReadOnlyList<MasteryResponse>>, ProblemHttpResult>> List(Guid learnerId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        await using var command = scope.Command("""
            SELECT m.skill_id, s.code, m.value, m.level_name, m.mastered, m.evidence_count, m.last_evidence_at, m.method, m.updated_at
            FROM hephaestus.learner_skill_mastery m JOIN hephaestus.skills s ON s.id = m.skill_id
            WHERE m.learner_id = $1 ORDER BY s.code
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        var rows = new List<MasteryResponse>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new MasteryResponse(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : (double)reader.GetDecimal(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4), reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8)));
            }
        }

        await scope.CommitAsync(ct);
        return TypedResults.Ok<IReadOnlyList<MasteryResponse>>(rows);
    }

    static async Task<Results<Ok<Page<EvidenceResponse>>, ProblemHttpResult>> Evidence(
        Guid learnerId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? skillId = null, int? after = null, int? limit = null)
    {
        var size = Math.Clamp(limit ?? 100, 1, 1000);
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        if (!await LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        await using var command = scope.Command("""
            SELECT id, skill_id, score, weight, observed_at, due_at, source, attempt_id, result_id, item_version_id, rubric_assessment_id, skill_seq,
                   row_number() OVER (ORDER BY observed_at, skill_id, skill_seq)::int AS position
            FROM hephaestus.evidence
            WHERE learner_id = $1 AND ($2::uuid IS NULL OR skill_id = $2)
            ORDER BY observed_at, skill_id, skill_seq
            OFFSET coalesce($3, 0) LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)skillId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = size + 1 });
        var rows = new List<EvidenceResponse>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new EvidenceResponse(reader.GetGuid(0), reader.GetGuid(1), (double)reader.GetDecimal(2), (double)reader.GetDecimal(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6),
                    NullableGuid(reader, 7), NullableGuid(reader, 8), NullableGuid(reader, 9), NullableGuid(reader, 10), reader.GetInt32(11)));
            }
        }

        await scope.CommitAsync(ct);
        string? next = null;
        if (rows.Count > size)
        {
            rows.RemoveAt(size);
            next = ((after ?? 0) + size).ToString(CultureInfo.InvariantCulture);
        }

        return TypedResults.Ok(new Page<EvidenceResponse>(rows, next));
    }

    /// <summary>What if: the learner's evidence for one skill folded under the given method, parameters and ordering.</summary>
    static async Task<Results<Ok<ReplayResponse>, ValidationProblem, ProblemHttpResult>> Replay(Guid learnerId, Guid skillId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct, System.Data.IsolationLevel.RepeatableRead);
        if (!await LearnerVisibleAsync(scope, learnerId, ct)) return Problems.NotFound("learner", learnerId);
        Dictionary<Guid, SkillMeasurement> measurements;
        await using (var command = scope.Command(MasteryRecorder.Measurements))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [skillId] });
            await using var reader = await command.ExecuteReaderAsync(ct);
            measurements = await MasteryRecorder.ReadMeasurementsAsync(reader, ct);
        }

        if (!measurements.TryGetValue(skillId, out var measurement)) return Problems.NotFound("skill", skillId);
        var (parameters, v) = ParametersFromQuery(http.Request.Query, measurement.Parameters);
        if (!v.IsValid) return v.ToProblem();

        var log = (await MasteryRecorder.ReadLogAsync(scope, learnerId, [skillId], ct)).GetValueOrDefault(skillId) ?? [];
        var ordered = ObservationOrdering.Order(log, parameters.Ordering);
        var state = MasteryState.Empty;
        var trajectory = new List<ReplayPoint>(ordered.Count);
        foreach (var observation in ordered)
        {
            state = state.Apply(parameters, observation);
            var value = state.Value(parameters);
            trajectory.Add(new ReplayPoint(observation.ObservedAt, observation.Score, value, measurement.Classify(value)?.Name));
        }

        double? storedValue = null;
        string? storedLevel = null;
        await using (var stored = scope.Command("SELECT value, level_name FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2"))
        {
            stored.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
            stored.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = skillId });
            await using var reader = await stored.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                storedValue = reader.IsDBNull(0) ? null : (double)reader.GetDecimal(0);
                storedLevel = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        await scope.CommitAsync(ct); // read-only: nothing was written
        var final = state.Value(parameters);
        return TypedResults.Ok(new ReplayResponse(skillId, parameters.Method.ToWireName(), parameters.Ordering == EvidenceOrdering.DueTime ? "due_time" : "observed_time",
            parameters, final, measurement.Classify(final)?.Name, measurement.IsMastered(final), ordered.Count, storedValue, storedLevel, trajectory));
    }

    /// <summary>Query parameters override the skill's own: method, ordering, and each numeric parameter by name.</summary>
    internal static (MasteryParameters Parameters, Validation Errors) ParametersFromQuery(IQueryCollection query, MasteryParameters defaults)
    {
        var v = new Validation();
        var p = defaults;
        if (query.TryGetValue("method", out var method))
        {
            if (MasteryMethods.TryParse(method.ToString(), out var m)) p = p with { Method = m };
            else v.Add("method", $"must be one of {string.Join(", ", MasteryMethods.All.Select(x => x.ToWireName()))}");
        }

        if (query.TryGetValue("ordering", out var ordering))
        {
            if (ordering == "observed_time") p = p with { Ordering = EvidenceOrdering.ObservedTime };
            else if (ordering == "due_time") p = p with { Ordering = EvidenceOrdering.DueTime };
            else v.Add("ordering", "must be 'observed_time' or 'due_time'");
        }

        double? Number(string name)
        {
            if (!query.TryGetValue(name, out var raw)) return null;
            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            v.Add(name, "must be a number");
            return null;
        }

        p = p with
        {
            Prior = Number("prior") ?? p.Prior,
            Learn = Number("learn") ?? p.Learn,
            Guess = Number("guess") ?? p.Guess,
            Slip = Number("slip") ?? p.Slip,
            Forget = Number("forget") ?? p.Forget,
            MasteryPoints = Number("masteryPoints") ?? p.MasteryPoints,
            CalculationInt = Number("calculationInt") is { } ci ? (int)ci : p.CalculationInt,
            NMasteryCount = Number("nMasteryCount") is { } n ? (int)n : p.NMasteryCount,
        };
        v.AddRange(p.Validate());
        return (p, v);
    }

    /// <summary>Row-level security decides: a learner the actor may not read does not exist for them.</summary>
    internal static async Task<bool> LearnerVisibleAsync(ActorScope scope, Guid learnerId, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT 1 FROM hephaestus.users WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learnerId });
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    static Guid? NullableGuid(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);
}

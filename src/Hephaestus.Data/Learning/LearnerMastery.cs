using System.Data;
using System.Globalization;
using Hephaestus.Domain;
using Hephaestus.Domain.Mastery;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A learner's mastery of one skill, as recorded.</summary>
public sealed record SkillMastery(Guid SkillId, string SkillCode, double? Value, string? Level, bool Mastered, int EvidenceCount,
    DateTimeOffset? LastEvidenceAt, string Method, DateTimeOffset UpdatedAt);

/// <summary>An entry of a learner's evidence log; <see cref="Sequence"/> is its number in the skill's order.</summary>
public sealed record EvidenceEntry(Guid Id, Guid SkillId, double Score, double Weight, DateTimeOffset ObservedAt, DateTimeOffset? DueAt, string Source,
    Guid? AttemptId, Guid? ResultId, Guid? ItemVersionId, Guid? RubricAssessmentId, int Sequence);

/// <summary>The value and level after each observation of a replay.</summary>
public sealed record ReplayPoint(DateTimeOffset ObservedAt, double Score, double? Value, string? Level);

/// <summary>A skill's evidence folded under chosen parameters, beside what is stored.</summary>
public sealed record MasteryReplay(Guid SkillId, MasteryParameters Parameters, double? Value, string? Level, bool Mastered, int EvidenceCount,
    double? StoredValue, string? StoredLevel, IReadOnlyList<ReplayPoint> Trajectory);

/// <summary>How a replay ended; Invalid carries the parameters' errors.</summary>
public enum ReplayOutcome
{
    Done,
    LearnerNotFound,
    SkillNotFound,
    Invalid,
}

public sealed record ReplayResult(ReplayOutcome Outcome, MasteryReplay? Replay = null, IReadOnlyList<ValidationError>? Errors = null);

/// <summary>
/// A learner's mastery, the evidence behind it, and "what if": the same evidence replayed under another method,
/// parameters or ordering, computed on the fly and never written. Reads follow row-level security: the learner,
/// their cohorts' educators, admins; a learner the actor may not read is null (not found).
/// </summary>
public static class LearnerMastery
{
    const string MasteryOfLearner = """
        SELECT m.skill_id, s.code, m.value, m.level_name, m.mastered, m.evidence_count, m.last_evidence_at, m.method, m.updated_at
        FROM hephaestus.learner_skill_mastery m JOIN hephaestus.skills s ON s.id = m.skill_id
        WHERE m.learner_id = $1 ORDER BY s.code
        """;

    const string EvidencePage = """
        SELECT id, skill_id, score, weight, observed_at, due_at, source, attempt_id, result_id, item_version_id, rubric_assessment_id, skill_seq,
               row_number() OVER (ORDER BY observed_at, skill_id, skill_seq)::int AS position
        FROM hephaestus.evidence
        WHERE learner_id = $1 AND ($2::uuid IS NULL OR skill_id = $2)
        ORDER BY observed_at, skill_id, skill_seq
        OFFSET coalesce($3, 0) LIMIT $4
        """;

    const string StoredMastery = "SELECT value, level_name FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2";

    public static async Task<IReadOnlyList<SkillMastery>?> ListAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        await using var command = scope.Command(MasteryOfLearner);
        command.Parameters.Add(SqlParameters.Uuid(learnerId));
        var rows = new List<SkillMastery>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new SkillMastery(reader.GetGuid(0), reader.GetString(1), reader.GetNullableDouble(2), reader.GetNullableString(3), reader.GetBoolean(4),
                    reader.GetInt32(5), reader.GetNullableTime(6), reader.GetString(7), reader.GetTime(8)));
            }
        }

        await scope.CommitAsync(ct);
        return rows;
    }

    /// <summary>The evidence log in the order it was observed, a page at a time; the cursor is the position after the page.</summary>
    public static async Task<Page<EvidenceEntry>?> EvidenceAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid? skillId, int? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        await using var command = scope.Command(EvidencePage);
        command.Parameters.Add(SqlParameters.Uuid(learnerId));
        command.Parameters.Add(SqlParameters.NullableUuid(skillId));
        command.Parameters.Add(SqlParameters.NullableInt(after));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        var rows = new List<EvidenceEntry>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new EvidenceEntry(reader.GetGuid(0), reader.GetGuid(1), (double)reader.GetDecimal(2), (double)reader.GetDecimal(3),
                    reader.GetTime(4), reader.GetNullableTime(5), reader.GetString(6),
                    reader.GetNullableGuid(7), reader.GetNullableGuid(8), reader.GetNullableGuid(9), reader.GetNullableGuid(10), reader.GetInt32(11)));
            }
        }

        await scope.CommitAsync(ct);
        return Paging.Trim(rows, size, _ => ((after ?? 0) + size).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// What if: the learner's evidence for one skill folded under the parameters <paramref name="choose"/> makes from the
    /// skill's own (it also returns what is wrong with the request); the parameters' own rules are checked too.
    /// </summary>
    public static async Task<ReplayResult> ReplayAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid skillId,
        Func<MasteryParameters, (MasteryParameters Parameters, List<ValidationError> Errors)> choose, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(choose);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct, IsolationLevel.RepeatableRead);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return new ReplayResult(ReplayOutcome.LearnerNotFound);
        Dictionary<Guid, SkillMeasurement> measurements;
        await using (var command = scope.Command(MasteryRecorder.Measurements))
        {
            command.Parameters.Add(SqlParameters.Uuids([skillId]));
            await using var reader = await command.ExecuteReaderAsync(ct);
            measurements = await MasteryRecorder.ReadMeasurementsAsync(reader, ct);
        }

        if (!measurements.TryGetValue(skillId, out var measurement)) return new ReplayResult(ReplayOutcome.SkillNotFound);
        var (parameters, errors) = choose(measurement.Parameters);
        errors.AddRange(parameters.Validate());
        if (errors.Count > 0) return new ReplayResult(ReplayOutcome.Invalid, Errors: errors);

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
        await using (var stored = scope.Command(StoredMastery))
        {
            stored.Parameters.Add(SqlParameters.Uuid(learnerId));
            stored.Parameters.Add(SqlParameters.Uuid(skillId));
            await using var reader = await stored.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                storedValue = reader.GetNullableDouble(0);
                storedLevel = reader.GetNullableString(1);
            }
        }

        await scope.CommitAsync(ct); // read-only: nothing was written
        var final = state.Value(parameters);
        return new ReplayResult(ReplayOutcome.Done, new MasteryReplay(skillId, parameters, final, measurement.Classify(final)?.Name, parameters.IsMastered(final),
            ordered.Count, storedValue, storedLevel, trajectory));
    }
}

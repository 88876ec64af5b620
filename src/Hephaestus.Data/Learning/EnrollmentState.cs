using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Domain.Paths;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Learning;

/// <summary>Why a step has its status and since when (an entry of <c>enrollments.step_notes</c>).</summary>
public sealed record StepNote(string? Reason, DateTimeOffset UpdatedAt);

/// <summary>A step an educator inserted for one learner, with its definition (an element of <c>enrollments.inserted_steps</c>).</summary>
public sealed record InsertedStep(string Key, string Kind, Guid RefId, string Title, string? AfterStep, Guid[] TargetSkillIds, DateTimeOffset InsertedAt);

/// <summary>
/// An enrollment row. <see cref="StepStatus"/> and <see cref="StepScores"/> are in step order: the version's steps by position,
/// then the inserted steps. <see cref="Unlocked"/>: keys of the steps an educator opened. <see cref="Version"/>: the row's
/// xmin, the ETag. <see cref="Notes"/> is read only where it is shown (null otherwise).
/// </summary>
public sealed record EnrollmentRow(Guid LearnerId, Guid Id, Guid PathId, Guid VersionId, EnrollmentStatus Status, string? Goal, int? PaceMinutesPerWeek,
    DateOnly? TargetDate, DateTimeOffset EnrolledAt, DateTimeOffset? CompletedAt, short[] StepStatus, float?[] StepScores,
    IReadOnlyList<InsertedStep> Inserted, string[] Unlocked, uint Version, IReadOnlyDictionary<string, StepNote>? Notes)
{
    /// <summary>What the learner aims at on this enrollment, as of <paramref name="today"/>: the ranking of `next` reads it.</summary>
    public PathGoals Goals(DateOnly today) => new(Goal, PaceMinutesPerWeek, TargetDate, today);
}

/// <summary>One enrollment as the engine evaluates it: the version's plan with this learner's inserts, and their state.</summary>
/// <param name="Keys">Step keys in stored order: the version's steps by position, then the inserts.</param>
public sealed record EnrollmentState(EnrollmentRow Enrollment, VersionPlan Version, PathPlan Plan, LearnerSnapshot Learner, IReadOnlyList<string> Keys)
{
    public int IndexOf(string key)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (string.Equals(Keys[i], key, StringComparison.Ordinal)) return i;
        }

        return -1;
    }

    /// <summary>
    /// The arrays as they should now be stored, and a note for every step whose status or score changed. A step that was
    /// open and is locked again is noted too (with the conditions that lock it), so that no step loses ground silently;
    /// <paramref name="cause"/> (what set this evaluation off, such as a new combined score) is the reason of a change
    /// that has none of its own (a step opening).
    /// </summary>
    public (short[] Status, float?[] Scores, Dictionary<string, StepNote> Notes, bool Changed) Stored(DateTimeOffset at, string? cause = null)
    {
        var status = new short[Keys.Count];
        var scores = new float?[Keys.Count];
        var notes = new Dictionary<string, StepNote>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Count; i++)
        {
            var now = Learner.StateOf(Keys[i]);
            status[i] = (short)now.Status;
            scores[i] = now.Score is { } s ? (float)s : null;
            var before = i < Enrollment.StepStatus.Length ? Enrollment.StepStatus[i] : -1;
            var scoreBefore = i < Enrollment.StepScores.Length ? Enrollment.StepScores[i] : null;
            // A step locked from the start needs no note (its reason is its unmet conditions, computed when shown); every
            // other change of status or score is noted.
            var relocked = now.Status == StepStatus.Locked && before > (short)StepStatus.Locked;
            if (before != status[i] && (now.Status != StepStatus.Locked || relocked) || scoreBefore != scores[i])
            {
                notes[Keys[i]] = new StepNote(now.Reason ?? cause, at);
            }
        }

        var changed = !status.AsSpan().SequenceEqual(Enrollment.StepStatus) || !scores.SequenceEqual(Enrollment.StepScores);
        return (status, scores, notes, changed);
    }
}

/// <summary>The enrollment SQL beside its readers and writers. Internal: only Data/Learning writes a learner's progress.</summary>
internal static class EnrollmentSql
{
    /// <summary>The hot columns: what `next` and re-evaluation need (no notes).</summary>
    public const string EnrollmentColumns =
        "learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, step_status, step_scores, inserted_steps::text, unlocked_steps, xmin";

    public const string EnrollmentColumnsWithNotes = EnrollmentColumns + ", step_notes::text";

    public const string MasteryOfLearner = "SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $1";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static EnrollmentRow ReadEnrollment(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetGuid(3), EnrollmentNames.ParseStatus(r.GetString(4)), r.GetNullableString(5),
        r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7), r.GetFieldValue<DateTimeOffset>(8),
        r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
        r.GetFieldValue<short[]>(10), r.GetFieldValue<float?[]>(11),
        JsonSerializer.Deserialize<List<InsertedStep>>(r.GetString(12), Json) ?? [],
        r.GetFieldValue<string[]>(13), r.GetFieldValue<uint>(14),
        r.FieldCount > 15 ? JsonSerializer.Deserialize<Dictionary<string, StepNote>>(r.GetString(15), Json) : null);

    public static async Task<Dictionary<Guid, SkillMasterySnapshot>> ReadMasteryAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var mastery = new Dictionary<Guid, SkillMasterySnapshot>();
        while (await r.ReadAsync(ct))
        {
            mastery[r.GetGuid(0)] = new SkillMasterySnapshot(r.IsDBNull(1) ? null : r.GetInt16(1), r.IsDBNull(2) ? null : (double)r.GetDecimal(2), r.GetBoolean(3));
        }

        return mastery;
    }

    public static async Task<Dictionary<Guid, SkillMasterySnapshot>> ReadMasteryAsync(ActorScope scope, Guid learnerId, CancellationToken ct)
    {
        await using var command = scope.Command(MasteryOfLearner);
        command.Parameters.Add(Uuid(learnerId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadMasteryAsync(reader, ct);
    }

    /// <summary>The version's plan plus this learner's inserted steps, each placed just after the step it follows.</summary>
    public static PathPlan PlanWithInserts(PathPlan plan, IEnumerable<InsertedStep> inserted) => plan.With([.. inserted.Select(i => Planned(plan, i))]);

    static PlannedStep Planned(PathPlan plan, InsertedStep inserted)
    {
        var after = inserted.AfterStep is { } a && plan.Contains(a) ? plan[a].Position + 0.5 : -0.5;
        return new PlannedStep(inserted.Key, StepWireNames.ParseKind(inserted.Kind), inserted.RefId, inserted.Title, after, inserted.TargetSkillIds, null, [],
            InsertedByEducator: true);
    }

    public static EnrollmentState State(EnrollmentRow enrollment, VersionPlan version, IReadOnlyDictionary<Guid, SkillMasterySnapshot> mastery)
    {
        var plan = PlanWithInserts(version.Plan, enrollment.Inserted);
        var keys = version.Plan.Steps.Select(s => s.Key).Concat(enrollment.Inserted.Select(i => i.Key)).ToList();
        var steps = new Dictionary<string, LearnerStepState>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count && i < enrollment.StepStatus.Length; i++)
        {
            var status = (StepStatus)enrollment.StepStatus[i];
            var reason = status == StepStatus.Locked ? null : enrollment.Notes?.GetValueOrDefault(keys[i])?.Reason;
            steps[keys[i]] = new LearnerStepState(status, reason, i < enrollment.StepScores.Length && enrollment.StepScores[i] is { } s ? Math.Round(s, 5) : null);
        }

        return new EnrollmentState(enrollment, version, plan, new LearnerSnapshot(mastery, version.Skills, steps, enrollment.Unlocked), keys);
    }

    /// <summary>Stores the whole (small) status and score arrays and merges the notes of what changed.</summary>
    public static NpgsqlBatchCommand WriteProgress(Guid learnerId, Guid enrollmentId, short[] status, float?[] scores, Dictionary<string, StepNote> notes) => new("""
        UPDATE hephaestus.enrollments
        SET step_status = $3, step_scores = $4, step_notes = step_notes || $5::jsonb, updated_at = now()
        WHERE learner_id = $1 AND id = $2
        """)
    {
        Parameters =
        {
            Uuid(learnerId), Uuid(enrollmentId),
            new NpgsqlParameter<short[]> { TypedValue = status },
            Scores(scores),
            new NpgsqlParameter<string> { TypedValue = ToJson(notes) },
        },
    };

    public static NpgsqlParameter Scores(float?[] scores) =>
        new() { Value = scores.Select(s => s is { } v ? (object)v : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Real };

    /// <summary>One step's status (1-based array element) and its note.</summary>
    public static NpgsqlBatchCommand WriteStep(EnrollmentState state, string key, LearnerStepState now) => new("""
        UPDATE hephaestus.enrollments
        SET step_status[$3] = $4, step_notes = step_notes || jsonb_build_object($5::text, $6::jsonb), updated_at = now()
        WHERE learner_id = $1 AND id = $2
        """)
    {
        Parameters =
        {
            Uuid(state.Enrollment.LearnerId), Uuid(state.Enrollment.Id),
            new NpgsqlParameter<int> { TypedValue = state.IndexOf(key) + 1 },
            new NpgsqlParameter<short> { TypedValue = (short)now.Status },
            Text(key),
            new NpgsqlParameter<string> { TypedValue = ToJson(new StepNote(now.Reason, DateTimeOffset.UtcNow)) },
        },
    };

    /// <summary>An enrollment is completed when every step is done, and active again when an un-skip or insert reopens one.</summary>
    public static NpgsqlBatchCommand SetCompletion(Guid learnerId, Guid[] completed, Guid[] reopened) => new("""
        UPDATE hephaestus.enrollments
        SET status = CASE WHEN id = ANY ($2) THEN 'completed' ELSE 'active' END,
            completed_at = CASE WHEN id = ANY ($2) THEN now() END,
            updated_at = now()
        WHERE learner_id = $1 AND (id = ANY ($2) AND status = 'active' OR id = ANY ($3) AND status = 'completed')
        """)
    {
        Parameters = { Uuid(learnerId), new NpgsqlParameter<Guid[]> { TypedValue = completed }, new NpgsqlParameter<Guid[]> { TypedValue = reopened } },
    };

    public static NpgsqlBatchCommand Audit(Guid learnerId, Guid enrollmentId, OverrideKind kind, string? stepKey, string payloadJson, string reason, Actor actor) => new("""
        INSERT INTO hephaestus.enrollment_overrides (learner_id, id, enrollment_id, kind, step_key, payload, reason, actor_id)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
        """)
    {
        Parameters =
        {
            Uuid(learnerId), Uuid(Guid.CreateVersion7()), Uuid(enrollmentId), Text(kind.ToWireName()), Text(stepKey),
            new NpgsqlParameter<string> { TypedValue = payloadJson }, Text(reason), NullableUuid(actor.PersonId),
        },
    };
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Data;
using Hephaestus.Domain.Paths;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>One step's state as stored in <c>enrollments.steps</c> (a map from step key to this).</summary>
internal sealed record StoredStep(string Status, string? Reason = null, double? Score = null, DateTimeOffset? UpdatedAt = null)
{
    public LearnerStepState ToState() => new(StepWireNames.ParseStatus(Status), Reason, Score);

    public static StoredStep From(LearnerStepState state, DateTimeOffset at) =>
        new(state.Status.ToWireName(), state.Reason, state.Score is { } s ? Math.Round(s, 5) : null, at);
}

/// <summary>A step an educator inserted for one learner, with its definition (an element of <c>enrollments.inserted_steps</c>).</summary>
internal sealed record InsertedStep(string Key, string Kind, Guid RefId, string Title, string? AfterStep, Guid[] TargetSkillIds, DateTimeOffset InsertedAt);

internal sealed record EnrollmentRow(Guid LearnerId, Guid Id, Guid PathId, Guid VersionId, string Status, string? Goal, int? PaceMinutesPerWeek,
    DateOnly? TargetDate, DateTimeOffset EnrolledAt, DateTimeOffset? CompletedAt, IReadOnlyDictionary<string, StoredStep> Steps,
    IReadOnlyList<InsertedStep> Inserted);

/// <summary>One enrollment as the engine evaluates it: the version's plan with this learner's inserts, and their state.</summary>
internal sealed record EnrollmentState(EnrollmentRow Enrollment, VersionPlan Version, PathPlan Plan, LearnerSnapshot Learner)
{
    /// <summary>The stored states that differ from what <see cref="Learner"/> holds now, stamped with this moment.</summary>
    public Dictionary<string, StoredStep> Changes(DateTimeOffset at)
    {
        var changes = new Dictionary<string, StoredStep>(StringComparer.Ordinal);
        foreach (var step in Plan.Steps)
        {
            var now = Learner.StateOf(step.Key);
            var stored = Enrollment.Steps.GetValueOrDefault(step.Key);
            if (stored is null || stored.ToState() != now) changes[step.Key] = StoredStep.From(now, at);
        }

        return changes;
    }
}

/// <summary>The enrollment SQL beside its readers and writers.</summary>
internal static class EnrollmentSql
{
    public const string EnrollmentColumns =
        "learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at, steps::text, inserted_steps::text";

    public const string MasteryOfLearner = "SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $1";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };
    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static EnrollmentRow ReadEnrollment(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetGuid(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7), r.GetFieldValue<DateTimeOffset>(8),
        r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
        JsonSerializer.Deserialize<Dictionary<string, StoredStep>>(r.GetString(10), Json) ?? [],
        JsonSerializer.Deserialize<List<InsertedStep>>(r.GetString(11), Json) ?? []);

    public static async Task<Dictionary<Guid, SkillMasterySnapshot>> ReadMasteryAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        var mastery = new Dictionary<Guid, SkillMasterySnapshot>();
        while (await r.ReadAsync(ct))
        {
            mastery[r.GetGuid(0)] = new SkillMasterySnapshot(r.IsDBNull(1) ? null : r.GetInt16(1), r.IsDBNull(2) ? null : (double)r.GetDecimal(2), r.GetBoolean(3));
        }

        return mastery;
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
        var steps = enrollment.Steps.ToDictionary(s => s.Key, s => s.Value.ToState(), StringComparer.Ordinal);
        return new EnrollmentState(enrollment, version, plan, new LearnerSnapshot(mastery, version.Skills, steps));
    }

    /// <summary>
    /// Merges changed step states into each enrollment's map (<c>steps || changes</c>): only what changed travels, and
    /// one statement serves any number of enrollments.
    /// </summary>
    public static NpgsqlBatchCommand MergeSteps(Guid learnerId, IReadOnlyList<(Guid EnrollmentId, Dictionary<string, StoredStep> Changes)> changes) => new("""
        UPDATE hephaestus.enrollments e
        SET steps = e.steps || u.changes::jsonb, updated_at = now()
        FROM unnest($2::uuid[], $3::text[]) AS u (id, changes)
        WHERE e.learner_id = $1 AND e.id = u.id
        """)
    {
        Parameters =
        {
            Uuid(learnerId),
            new NpgsqlParameter<Guid[]> { TypedValue = changes.Select(c => c.EnrollmentId).ToArray() },
            new NpgsqlParameter<string[]> { TypedValue = changes.Select(c => ToJson(c.Changes)).ToArray() },
        },
    };

    public static NpgsqlBatchCommand MergeStep(Guid learnerId, Guid enrollmentId, string key, LearnerStepState state) =>
        MergeSteps(learnerId, [(enrollmentId, new Dictionary<string, StoredStep>(StringComparer.Ordinal) { [key] = StoredStep.From(state, DateTimeOffset.UtcNow) })]);

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

    public static NpgsqlBatchCommand Audit(Guid learnerId, Guid enrollmentId, string kind, string? stepKey, string payloadJson, string reason, Guid actorId) => new("""
        INSERT INTO hephaestus.enrollment_overrides (learner_id, id, enrollment_id, kind, step_key, payload, reason, actor_id)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
        """)
    {
        Parameters =
        {
            Uuid(learnerId), Uuid(Guid.CreateVersion7()), Uuid(enrollmentId), Text(kind), Text(stepKey),
            new NpgsqlParameter<string> { TypedValue = payloadJson }, Text(reason), Uuid(actorId),
        },
    };

    public static async Task ExecuteAsync(ActorScope scope, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction);
        foreach (var command in commands) batch.BatchCommands.Add(command);
        if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
    }
}

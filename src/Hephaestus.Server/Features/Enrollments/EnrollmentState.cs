using Hephaestus.Data;
using Hephaestus.Domain.Paths;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Enrollments;

internal sealed record EnrollmentRow(Guid LearnerId, Guid Id, Guid PathId, Guid VersionId, string Status, string? Goal, int? PaceMinutesPerWeek,
    DateOnly? TargetDate, DateTimeOffset EnrolledAt, DateTimeOffset? CompletedAt);

/// <summary>A stored step row; <see cref="Inserted"/> is the definition of an educator insert (null for steps of the version).</summary>
internal sealed record StepRow(Guid EnrollmentId, string Key, Guid? PathStepId, LearnerStepState State, DateTimeOffset UpdatedAt, InsertedStep? Inserted);

internal sealed record InsertedStep(StepKind Kind, Guid RefId, string Title, string? AfterStepKey, Guid[] TargetSkillIds);

/// <summary>One enrollment as the engine evaluates it: the version's plan with this learner's inserts, and their state.</summary>
internal sealed record EnrollmentState(EnrollmentRow Enrollment, VersionPlan Version, PathPlan Plan, LearnerSnapshot Learner, IReadOnlyList<StepRow> Rows);

/// <summary>The enrollment SQL beside its readers and writers.</summary>
internal static class EnrollmentSql
{
    public const string EnrollmentColumns =
        "learner_id, id, path_id, path_version_id, status, goal, pace_minutes_per_week, target_date, enrolled_at, completed_at";

    public const string StepColumns =
        "enrollment_id, step_key, path_step_id, status, status_reason, last_score, updated_at, kind, ref_id, title, after_step_key, target_skill_ids";

    public const string MasteryOfLearner = "SELECT skill_id, level_rank, value, mastered FROM hephaestus.learner_skill_mastery WHERE learner_id = $1";

    public static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };
    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    public static EnrollmentRow ReadEnrollment(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetGuid(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateOnly>(7), r.GetFieldValue<DateTimeOffset>(8),
        r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9));

    public static StepRow ReadStep(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetGuid(2),
        new LearnerStepState(StepWireNames.ParseStatus(r.GetString(3)), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : (double)r.GetDecimal(5)),
        r.GetFieldValue<DateTimeOffset>(6),
        r.IsDBNull(7) ? null : new InsertedStep(StepWireNames.ParseKind(r.GetString(7)), r.GetGuid(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
            r.GetFieldValue<Guid[]>(11)));

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
    public static PathPlan PlanWithInserts(PathPlan plan, IEnumerable<StepRow> rows) =>
        plan.With([.. rows.Where(r => r.Inserted is not null).Select(r => Planned(plan, r.Key, r.Inserted!))]);

    public static PlannedStep Planned(PathPlan plan, string key, InsertedStep inserted)
    {
        var after = inserted.AfterStepKey is { } a && plan.Contains(a) ? plan[a].Position + 0.5 : -0.5;
        return new PlannedStep(key, inserted.Kind, inserted.RefId, inserted.Title, after, inserted.TargetSkillIds, null, [], InsertedByEducator: true);
    }

    public static EnrollmentState State(EnrollmentRow enrollment, VersionPlan version, IReadOnlyList<StepRow> rows, IReadOnlyDictionary<Guid, SkillMasterySnapshot> mastery)
    {
        var plan = PlanWithInserts(version.Plan, rows);
        var steps = rows.ToDictionary(r => r.Key, r => r.State, StringComparer.Ordinal);
        return new EnrollmentState(enrollment, version, plan, new LearnerSnapshot(mastery, version.Skills, steps), rows);
    }

    /// <summary>Writes the statuses that changed: one statement for any number of steps.</summary>
    public static NpgsqlBatchCommand UpdateSteps(Guid learnerId, IReadOnlyList<(Guid EnrollmentId, string Key, LearnerStepState State)> steps) => new("""
        UPDATE hephaestus.enrollment_steps s
        SET status = u.status, status_reason = u.reason, last_score = u.score, updated_at = now()
        FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::numeric[]) AS u (enrollment_id, step_key, status, reason, score)
        WHERE s.learner_id = $1 AND s.enrollment_id = u.enrollment_id AND s.step_key = u.step_key
        """)
    {
        Parameters =
        {
            Uuid(learnerId),
            new NpgsqlParameter<Guid[]> { TypedValue = steps.Select(s => s.EnrollmentId).ToArray() },
            new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => s.Key).ToArray() },
            new NpgsqlParameter<string[]> { TypedValue = steps.Select(s => s.State.Status.ToWireName()).ToArray() },
            new NpgsqlParameter { Value = steps.Select(s => (object?)s.State.Reason ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter { Value = steps.Select(s => s.State.Score is { } v ? (object)Math.Round((decimal)v, 5) : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric },
        },
    };

    /// <summary>An enrollment is completed when every step is done, and active again when an un-skip reopens one.</summary>
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

/// <summary>Step rows to write for an enrollment (at enrollment, at an educator insert, at a move to a new version).</summary>
internal sealed record NewStepRow(string Key, Guid? PathStepId, LearnerStepState State, InsertedStep? Inserted);

internal static class EnrollmentStepRows
{
    /// <summary>Every row in one statement: parallel arrays through unnest.</summary>
    public static NpgsqlBatchCommand Insert(Guid learnerId, Guid enrollmentId, Guid versionId, IReadOnlyList<NewStepRow> rows)
    {
        static NpgsqlParameter Nullable<T>(IEnumerable<T?> values, NpgsqlDbType type) where T : class =>
            new() { Value = values.Select(v => (object?)v ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };

        return new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.enrollment_steps (learner_id, enrollment_id, path_version_id, step_key, path_step_id, status, status_reason, last_score,
                                                     kind, ref_id, title, after_step_key, target_skill_ids)
            SELECT $1, $2, $3, u.step_key, u.path_step_id, u.status, u.reason, u.score, u.kind, u.ref_id, u.title, u.after_step_key, u.targets::uuid[]
            FROM unnest($4::text[], $5::uuid[], $6::text[], $7::text[], $8::numeric[], $9::text[], $10::uuid[], $11::text[], $12::text[], $13::text[])
                 AS u (step_key, path_step_id, status, reason, score, kind, ref_id, title, after_step_key, targets)
            """)
        {
            Parameters =
            {
                EnrollmentSql.Uuid(learnerId), EnrollmentSql.Uuid(enrollmentId), EnrollmentSql.Uuid(versionId),
                new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Key).ToArray() },
                new NpgsqlParameter { Value = rows.Select(r => r.PathStepId is { } id ? (object)id : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.State.Status.ToWireName()).ToArray() },
                Nullable(rows.Select(r => r.State.Reason), NpgsqlDbType.Text),
                new NpgsqlParameter { Value = rows.Select(r => r.State.Score is { } v ? (object)Math.Round((decimal)v, 5) : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric },
                Nullable(rows.Select(r => r.Inserted?.Kind.ToWireName()), NpgsqlDbType.Text),
                new NpgsqlParameter { Value = rows.Select(r => r.Inserted is { } i ? (object)i.RefId : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                Nullable(rows.Select(r => r.Inserted?.Title), NpgsqlDbType.Text),
                Nullable(rows.Select(r => r.Inserted?.AfterStepKey), NpgsqlDbType.Text),
                Nullable(rows.Select(r => r.Inserted is { } i ? "{" + string.Join(',', i.TargetSkillIds) + "}" : null), NpgsqlDbType.Text),
            },
        };
    }
}

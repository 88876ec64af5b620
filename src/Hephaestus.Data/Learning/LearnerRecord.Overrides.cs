using System.Text.Json;
using Hephaestus.Domain;
using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A step an educator inserts for one learner, placed after <see cref="AfterStep"/> (first when absent).</summary>
public sealed record StepInsertion(string Key, string Kind, Guid RefId, string Title, string? AfterStep = null, Guid[]? TargetSkillIds = null);

/// <summary>
/// An educator's change to one learner's enrollment: skip or unskip a step (<see cref="StepKey"/>), insert one
/// (<see cref="Step"/>), set the goal or target date, set the pace. The reason is audited.
/// </summary>
public sealed record EnrollmentOverride(OverrideKind Kind, string Reason, string? StepKey = null, StepInsertion? Step = null, string? Goal = null,
    DateOnly? TargetDate = null, int? PaceMinutesPerWeek = null);

/// <summary>
/// An entry of an enrollment's audit log of overrides. <see cref="ActorId"/> is null when no user is named: the operator
/// at the command line, or (<see cref="ActorErased"/>) a user who has since been erased.
/// </summary>
public sealed record OverrideEntry(Guid Id, OverrideKind Kind, string? StepKey, JsonElement Payload, string Reason, Guid? ActorId, bool ActorErased,
    DateTimeOffset CreatedAt);

/// <summary>
/// What an educator may change for one learner, each change written together with its audit row (who, when, why) in
/// the same transaction: the audit cannot miss a change, and a refused change leaves no audit row.
/// </summary>
public sealed partial class LearnerRecord
{
    const string AppendInsertedStep = """
        UPDATE hephaestus.enrollments
        SET inserted_steps = inserted_steps || jsonb_build_array($3::jsonb),
            step_status = step_status || 0::smallint, step_scores = step_scores || NULL::real, updated_at = now()
        WHERE learner_id = $1 AND id = $2
        """;

    const string SetGoal = """
        UPDATE hephaestus.enrollments SET goal = coalesce($3, goal), target_date = coalesce($4, target_date), updated_at = now()
        WHERE learner_id = $1 AND id = $2
        """;

    const string SetPace = "UPDATE hephaestus.enrollments SET pace_minutes_per_week = $3, updated_at = now() WHERE learner_id = $1 AND id = $2";

    const string AddUnlocked = """
        UPDATE hephaestus.enrollments SET unlocked_steps = array_append(unlocked_steps, $3), updated_at = now()
        WHERE learner_id = $1 AND id = $2 AND NOT $3 = ANY (unlocked_steps)
        """;

    const string Withdraw = "UPDATE hephaestus.enrollments SET status = 'withdrawn', updated_at = now() WHERE learner_id = $1 AND id = $2 AND status = 'active'";

    const string UnknownSkills = "SELECT array_agg(s) FROM unnest($1::uuid[]) s WHERE NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = s)";

    const string OverridesOfEnrollment = """
        SELECT id, kind, step_key, payload, reason, actor_id, actor_erased, created_at
        FROM hephaestus.enrollment_overrides WHERE learner_id = $1 AND enrollment_id = $2 ORDER BY created_at, id
        """;

    /// <summary>
    /// Applies the override and its audit row, then re-evaluates the learner's progress. Writes nothing when it cannot
    /// apply (StepNotFound, Conflict, Invalid). Who may override is the edge's policy; which enrollments, row-level security's.
    /// </summary>
    public async Task<EnrollmentChange> OverrideAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, EnrollmentOverride change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        var state = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return EnrollmentChange.NotFound;
        // A withdrawn enrollment keeps its goal and pace editable; its steps are frozen (the database refuses too).
        if (change.Kind is not (OverrideKind.Goal or OverrideKind.Pace) && RefuseIfWithdrawn(state) is { } withdrawn) return withdrawn;
        if (await ApplyAsync(scope, state, change, ct) is { } refused) return refused;

        await _progress.ReevaluateAsync(scope, learnerId, ct);
        var updated = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return new EnrollmentChange(EnrollmentOutcome.Done, updated);
    }

    /// <summary>The audit log of an enrollment, oldest first; null when the enrollment does not exist for the actor.</summary>
    public async Task<IReadOnlyList<OverrideEntry>?> ListOverridesAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct) is null) return null;
        var items = new List<OverrideEntry>();
        await using (var command = scope.Command(OverridesOfEnrollment))
        {
            command.Parameters.Add(SqlParameters.Uuid(learnerId));
            command.Parameters.Add(SqlParameters.Uuid(enrollmentId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                items.Add(new OverrideEntry(reader.GetGuid(0), EnrollmentNames.ParseOverrideKind(reader.GetString(1)), reader.GetNullableString(2), reader.GetJson(3),
                    reader.GetString(4), reader.GetNullableGuid(5), reader.GetBoolean(6), reader.GetTime(7)));
            }
        }

        await scope.CommitAsync(ct);
        return items;
    }

    /// <summary>Writes the override and its audit row in one round trip; returns why not (and writes nothing) when it cannot apply.</summary>
    static async Task<EnrollmentChange?> ApplyAsync(ActorScope scope, EnrollmentState state, EnrollmentOverride change, CancellationToken ct)
    {
        var learnerId = state.Enrollment.LearnerId;
        var enrollmentId = state.Enrollment.Id;
        var commands = new List<NpgsqlBatchCommand>();
        string payload;
        string? stepKey = change.StepKey;

        switch (change.Kind)
        {
            case OverrideKind.Skip:
            {
                if (!state.Plan.Contains(stepKey!)) return EnrollmentChange.StepNotFound;
                var current = state.Learner.StateOf(stepKey!);
                if (current.Status.IsDone()) return EnrollmentChange.Conflict($"Step '{stepKey}' is already {current.Status.ToWireName()}.");
                commands.Add(EnrollmentSql.WriteStep(state, stepKey!, current with { Status = StepStatus.Skipped, Reason = "skipped by an educator: " + change.Reason }));
                payload = JsonSerializer.Serialize(new { from = current.Status.ToWireName() });
                break;
            }

            case OverrideKind.Unskip:
            {
                if (!state.Plan.Contains(stepKey!)) return EnrollmentChange.StepNotFound;
                var current = state.Learner.StateOf(stepKey!);
                if (current.Status != StepStatus.Skipped) return EnrollmentChange.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}, not skipped.");
                // Locked for now: the re-evaluation that follows opens it if its conditions hold.
                commands.Add(EnrollmentSql.WriteStep(state, stepKey!, current with { Status = StepStatus.Locked, Reason = "un-skipped by an educator: " + change.Reason }));
                commands.Add(EnrollmentSql.SetCompletion(learnerId, [], [enrollmentId]));
                payload = JsonSerializer.Serialize(new { previousReason = current.Reason });
                break;
            }

            case OverrideKind.Insert:
            {
                var step = change.Step!;
                stepKey = step.Key;
                var errors = new List<ValidationError>();
                if (state.Plan.Contains(step.Key)) errors.Add(new ValidationError("step.key", $"this enrollment already has a step '{step.Key}'"));
                if (step.AfterStep is { } after && !state.Plan.Contains(after)) errors.Add(new ValidationError("step.afterStep", $"no step has the key '{after}'"));
                var targets = step.TargetSkillIds ?? (step.Kind == "skill" ? [step.RefId] : []);
                if (await UnknownSkillsAsync(scope, targets, ct) is { Length: > 0 } unknown)
                {
                    errors.Add(new ValidationError(step.TargetSkillIds is null ? "step.refId" : "step.targetSkillIds", "no skill with id " + string.Join(", ", unknown)));
                }

                if (errors.Count > 0) return new EnrollmentChange(EnrollmentOutcome.Invalid, Errors: errors);
                var inserted = new InsertedStep(step.Key, step.Kind, step.RefId, step.Title, step.AfterStep, targets.Distinct().ToArray(), DateTimeOffset.UtcNow);
                // The definition joins the learner's inserts and its state the end of the arrays, locked: the re-evaluation
                // that follows opens it.
                commands.Add(new NpgsqlBatchCommand(AppendInsertedStep)
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(inserted) } },
                });
                commands.Add(EnrollmentSql.SetCompletion(learnerId, [], [enrollmentId]));
                payload = EnrollmentSql.ToJson(inserted);
                break;
            }

            case OverrideKind.Goal:
                commands.Add(new NpgsqlBatchCommand(SetGoal)
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Text(change.Goal), SqlParameters.NullableDate(change.TargetDate) },
                });
                payload = JsonSerializer.Serialize(new { goal = change.Goal, targetDate = change.TargetDate, previousGoal = state.Enrollment.Goal, previousTargetDate = state.Enrollment.TargetDate });
                break;

            case OverrideKind.Pace:
                commands.Add(new NpgsqlBatchCommand(SetPace)
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Int(change.PaceMinutesPerWeek!.Value) },
                });
                payload = JsonSerializer.Serialize(new { paceMinutesPerWeek = change.PaceMinutesPerWeek, previous = state.Enrollment.PaceMinutesPerWeek });
                break;

            case OverrideKind.Unlock:
            {
                if (!state.Plan.Contains(stepKey!)) return EnrollmentChange.StepNotFound;
                var current = state.Learner.StateOf(stepKey!);
                if (current.Status != StepStatus.Locked)
                {
                    return EnrollmentChange.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}; only a locked step is unlocked.", current.Status);
                }

                // Open now, and kept open by every later evaluation (unlocked_steps), whatever its conditions say.
                commands.Add(EnrollmentSql.WriteStep(state, stepKey!, current with { Status = StepStatus.Available, Reason = StepProgress.UnlockedReason + ": " + change.Reason }));
                commands.Add(new NpgsqlBatchCommand(AddUnlocked)
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Text(stepKey) },
                });
                payload = JsonSerializer.Serialize(new { unmetConditions = StepProgress.UnmetConditions(state.Plan[stepKey!], state.Plan, state.Learner) });
                break;
            }

            case OverrideKind.Withdraw:
                if (state.Enrollment.Status != EnrollmentStatus.Active)
                {
                    return EnrollmentChange.Conflict($"The enrollment is {state.Enrollment.Status.ToWireName()}; only an active enrollment is withdrawn.");
                }

                commands.Add(new NpgsqlBatchCommand(Withdraw) { Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId) } });
                payload = JsonSerializer.Serialize(new { from = state.Enrollment.Status.ToWireName(), done = state.Keys.Count(k => state.Learner.StateOf(k).Status.IsDone()) });
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "an educator does not request this kind of override");
        }

        commands.Add(EnrollmentSql.Audit(learnerId, enrollmentId, change.Kind, stepKey, payload, change.Reason, scope.Actor));
        await scope.ExecuteAsync(commands, ct);
        return null;
    }

    static async Task<Guid[]> UnknownSkillsAsync(ActorScope scope, Guid[] skills, CancellationToken ct)
    {
        if (skills.Length == 0) return [];
        await using var command = scope.Command(UnknownSkills);
        command.Parameters.Add(SqlParameters.Uuids(skills));
        return await command.ExecuteScalarAsync(ct) as Guid[] ?? [];
    }
}

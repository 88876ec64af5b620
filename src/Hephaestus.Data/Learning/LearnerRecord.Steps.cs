using Hephaestus.Domain.Identity;
using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>Enrolling with placement, and a learner's own moves on a step: start, complete. One transaction each.</summary>
public sealed partial class LearnerRecord
{
    // The database re-checks at insert, with a lock, that the version is still published (a retirement may be racing).
    const string PathWithNewestPublishedVersion = """
        SELECT p.id, (SELECT v.id FROM hephaestus.path_versions v WHERE v.path_id = p.id AND v.status = 'published' ORDER BY v.version DESC LIMIT 1)
        FROM hephaestus.learning_paths p WHERE p.id = $1
        """;

    const string InsertEnrollment = """
        INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id, step_status, step_scores, step_notes, status, completed_at)
        VALUES ($1, $2, $3, $4, $5, array_fill(NULL::real, ARRAY[cardinality($5)]), $6::jsonb,
                CASE WHEN $7 THEN 'completed' ELSE 'active' END, CASE WHEN $7 THEN now() END)
        ON CONFLICT (learner_id, path_id) DO NOTHING
        RETURNING id
        """;

    /// <summary>
    /// Enrolls in the newest published version. Enrolling again returns the existing enrollment (Done), whatever its
    /// version: moving to a newer one is a migration. Placement skips the steps whose skills the learner already masters.
    /// The learner, an educator or an admin enrolls a learner.
    /// </summary>
    public async Task<EnrollmentChange> EnrollAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid pathId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return new EnrollmentChange(EnrollmentOutcome.LearnerNotFound);
        if (actor.UserId != learnerId && !actor.Has(Role.Educator) && !actor.Has(Role.Admin)) return new EnrollmentChange(EnrollmentOutcome.Refused);

        Guid? versionId;
        await using (var find = scope.Command(PathWithNewestPublishedVersion))
        {
            find.Parameters.Add(SqlParameters.Uuid(pathId));
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new EnrollmentChange(EnrollmentOutcome.UnknownPath);
            versionId = reader.GetNullableGuid(1);
        }

        if (versionId is null) return EnrollmentChange.Conflict($"Learning path {pathId} has no published version open to enrollment.");

        // Placement and the first evaluation happen before the insert, so the enrollment is written once, complete.
        var version = (await plans.GetAsync(scope, versionId.Value, ct))!;
        var learner = new LearnerSnapshot(await EnrollmentSql.ReadMasteryAsync(scope, learnerId, ct), version.Skills, new Dictionary<string, LearnerStepState>(StringComparer.Ordinal));
        StepProgress.Place(version.Plan, learner);
        StepProgress.Evaluate(version.Plan, learner);
        var now = DateTimeOffset.UtcNow;
        var status = version.Plan.Steps.Select(s => (short)learner.StateOf(s.Key).Status).ToArray();
        var notes = version.Plan.Steps.Where(s => learner.StateOf(s.Key).Status != StepStatus.Locked)
            .ToDictionary(s => s.Key, s => new StepNote(learner.StateOf(s.Key).Reason, now), StringComparer.Ordinal);
        var allDone = StepProgress.AllDone(version.Plan, learner);

        var enrollmentId = Guid.CreateVersion7();
        await using (var insert = scope.Command(InsertEnrollment))
        {
            insert.Parameters.Add(SqlParameters.Uuid(learnerId));
            insert.Parameters.Add(SqlParameters.Uuid(enrollmentId));
            insert.Parameters.Add(SqlParameters.Uuid(pathId));
            insert.Parameters.Add(SqlParameters.Uuid(versionId.Value));
            insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = status });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(notes) });
            insert.Parameters.Add(SqlParameters.Bool(allDone));
            if (await insert.ExecuteScalarAsync(ct) is null)
            {
                // Already enrolled (perhaps by a concurrent request that committed first): the same answer, not a second enrollment.
                var existing = await ExistingAsync(scope, learnerId, pathId, ct);
                await scope.CommitAsync(ct);
                return new EnrollmentChange(EnrollmentOutcome.Done, existing);
            }
        }

        var created = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return new EnrollmentChange(EnrollmentOutcome.Created, created);
    }

    async Task<EnrollmentState?> ExistingAsync(ActorScope scope, Guid learnerId, Guid pathId, CancellationToken ct)
    {
        await using var find = scope.Command("SELECT id FROM hephaestus.enrollments WHERE learner_id = $1 AND path_id = $2");
        find.Parameters.Add(SqlParameters.Uuid(learnerId));
        find.Parameters.Add(SqlParameters.Uuid(pathId));
        return await find.ExecuteScalarAsync(ct) is Guid id ? await LoadEnrollmentAsync(scope, learnerId, id, forUpdate: false, ct) : null;
    }

    /// <summary>The learner (or an educator) starts an available step; starting a started step changes nothing.</summary>
    public async Task<EnrollmentChange> StartStepAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, string stepKey, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        var state = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return EnrollmentChange.NotFound;
        if (RefuseIfWithdrawn(state) is { } withdrawn) return withdrawn;
        if (!state.Plan.Contains(stepKey)) return EnrollmentChange.StepNotFound;
        var current = state.Learner.StateOf(stepKey);
        if (current.Status == StepStatus.InProgress) return new EnrollmentChange(EnrollmentOutcome.Done, state);
        if (current.Status != StepStatus.Available)
        {
            return EnrollmentChange.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}; only an available step can be started." +
                (current.Reason is { } r ? $" ({r})" : ""), current.Status);
        }

        await scope.ExecuteAsync([EnrollmentSql.WriteStep(state, stepKey, current with { Status = StepStatus.InProgress, Reason = "started" })], ct);
        var updated = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return new EnrollmentChange(EnrollmentOutcome.Done, updated);
    }

    /// <summary>
    /// Completes a content step the learner has worked through. Skill steps complete by mastery and assessment steps by a
    /// submitted attempt, so those are refused here. Dependents unlock in the same transaction.
    /// </summary>
    public async Task<EnrollmentChange> CompleteStepAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, string stepKey, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        var state = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return EnrollmentChange.NotFound;
        if (RefuseIfWithdrawn(state) is { } withdrawn) return withdrawn;
        if (!state.Plan.Contains(stepKey)) return EnrollmentChange.StepNotFound;
        var step = state.Plan[stepKey];
        var current = state.Learner.StateOf(stepKey);
        if (current.Status == StepStatus.Completed) return new EnrollmentChange(EnrollmentOutcome.Done, state);
        if (step.Kind != StepKind.Content)
        {
            return EnrollmentChange.Conflict(step.Kind == StepKind.Skill
                ? $"Step '{stepKey}' completes when its skill is mastered, not by request."
                : $"Step '{stepKey}' completes when its assessment is submitted, not by request.");
        }

        if (current.Status is not (StepStatus.Available or StepStatus.InProgress))
        {
            return EnrollmentChange.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}; only an available or started step can be completed." +
                (current.Reason is { } r ? $" ({r})" : ""), current.Status);
        }

        await scope.ExecuteAsync([EnrollmentSql.WriteStep(state, stepKey, current with { Status = StepStatus.Completed, Reason = "completed" })], ct);
        await _progress.ReevaluateAsync(scope, learnerId, ct);
        var updated = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return new EnrollmentChange(EnrollmentOutcome.Done, updated);
    }

    /// <summary>A withdrawn enrollment's steps no longer change (a trigger refuses it too): a conflict, or null to go on.</summary>
    static EnrollmentChange? RefuseIfWithdrawn(EnrollmentState state) => state.Enrollment.Status == EnrollmentStatus.Withdrawn
        ? EnrollmentChange.Conflict($"Enrollment {state.Enrollment.Id} is withdrawn; its steps no longer change.")
        : null;
}

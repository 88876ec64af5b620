using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>
/// A learner's own change to what they aim at: null fields stay as they are; <see cref="Clear"/> names the fields to empty
/// (<c>goal</c>, <c>paceMinutesPerWeek</c>, <c>targetDate</c>).
/// </summary>
public sealed record GoalChanges(string? Goal, int? PaceMinutesPerWeek, DateOnly? TargetDate, IReadOnlyCollection<string> Clear)
{
    public static readonly IReadOnlyList<string> Clearable = ["goal", "paceMinutesPerWeek", "targetDate"];
}

/// <summary>The learner sets their own goal, pace and target date: the ranking of `next` reads them.</summary>
public sealed partial class LearnerRecord
{
    const string SetGoals = """
        UPDATE hephaestus.enrollments
        SET goal = CASE WHEN $3 THEN NULL ELSE coalesce($4, goal) END,
            pace_minutes_per_week = CASE WHEN $5 THEN NULL ELSE coalesce($6, pace_minutes_per_week) END,
            target_date = CASE WHEN $7 THEN NULL ELSE coalesce($8, target_date) END,
            updated_at = now()
        WHERE learner_id = $1 AND id = $2
        """;

    /// <summary>
    /// Only the learner changes their own goals this way (an educator's change is an audited override): another user who
    /// sees the enrollment is Refused, one who does not gets NotFound. <paramref name="ifMatch"/> is the version the
    /// client read (the ETag); the row is locked, so the comparison and the write cannot be overtaken.
    /// </summary>
    public async Task<EnrollmentChange> UpdateGoalsAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, GoalChanges changes, uint? ifMatch,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(changes);
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        var state = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: true, ct);
        if (state is null) return EnrollmentChange.NotFound;
        if (actor.UserId != learnerId) return new EnrollmentChange(EnrollmentOutcome.Refused);
        if (ifMatch is null) return new EnrollmentChange(EnrollmentOutcome.PreconditionRequired);
        if (ifMatch != state.Enrollment.Version) return new EnrollmentChange(EnrollmentOutcome.PreconditionFailed, CurrentVersion: state.Enrollment.Version);

        await using (var update = scope.Command(SetGoals))
        {
            update.Parameters.Add(SqlParameters.Uuid(learnerId));
            update.Parameters.Add(SqlParameters.Uuid(enrollmentId));
            update.Parameters.Add(SqlParameters.Bool(changes.Clear.Contains("goal")));
            update.Parameters.Add(SqlParameters.Text(changes.Goal));
            update.Parameters.Add(SqlParameters.Bool(changes.Clear.Contains("paceMinutesPerWeek")));
            update.Parameters.Add(SqlParameters.NullableInt(changes.PaceMinutesPerWeek));
            update.Parameters.Add(SqlParameters.Bool(changes.Clear.Contains("targetDate")));
            update.Parameters.Add(SqlParameters.NullableDate(changes.TargetDate));
            await update.ExecuteNonQueryAsync(ct);
        }

        var updated = await LoadEnrollmentAsync(scope, learnerId, enrollmentId, forUpdate: false, ct);
        await scope.CommitAsync(ct);
        return new EnrollmentChange(EnrollmentOutcome.Done, updated);
    }
}

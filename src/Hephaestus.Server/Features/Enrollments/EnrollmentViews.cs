using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>How an enrollment's state is shown.</summary>
internal static class EnrollmentViews
{
    /// <summary>The full view: every step in plan order; a locked step's reason is its unmet conditions, worked out now.</summary>
    public static EnrollmentResponse ToResponse(EnrollmentState state)
    {
        var steps = state.Plan.Steps.Select(s =>
        {
            var stored = state.Learner.StateOf(s.Key);
            var reason = stored.Status == StepStatus.Locked ? string.Join("; ", StepProgress.UnmetConditions(s, state.Plan, state.Learner)) : stored.Reason;
            var updated = state.Enrollment.Notes?.GetValueOrDefault(s.Key)?.UpdatedAt ?? state.Enrollment.EnrolledAt;
            return new EnrollmentStepResponse(s.Key, s.Kind.ToWireName(), s.RefId, s.Title, s.Position, [.. s.TargetSkills], stored.Status.ToWireName(),
                string.IsNullOrEmpty(reason) ? null : reason, stored.Score, s.InsertedByEducator, updated);
        }).ToList();
        var e = state.Enrollment;
        return new EnrollmentResponse(e.Id, e.LearnerId, e.PathId, state.Version.PathTitle, e.VersionId, state.Version.Version, e.Status, e.Goal, e.PaceMinutesPerWeek, e.TargetDate,
            e.EnrolledAt, e.CompletedAt, steps.Count(s => s.Status is "completed" or "skipped"), steps.Count, steps);
    }
}

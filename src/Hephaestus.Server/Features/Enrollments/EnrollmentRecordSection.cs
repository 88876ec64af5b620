using Hephaestus.Server.Features.Mastery;
using Hephaestus.Server.Features.Users;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>Enrollments in a personal data export: each with its steps' statuses and every override made for the learner.</summary>
internal sealed class EnrollmentsSection() : JsonSection("enrollments", """
    SELECT coalesce(json_agg(json_build_object('id', e.id, 'pathId', e.path_id, 'pathVersionId', e.path_version_id, 'status', e.status,
        'goal', e.goal, 'targetDate', e.target_date, 'paceMinutesPerWeek', e.pace_minutes_per_week, 'enrolledAt', e.enrolled_at, 'completedAt', e.completed_at,
        'steps', (SELECT coalesce(json_agg(json_build_object('key', s.step_key, 'status', s.status, 'score', s.score, 'reason', s.reason,
                    'updatedAt', s.updated_at) ORDER BY s.step_index), '[]')
                  FROM hephaestus.enrollment_step_states s WHERE s.learner_id = e.learner_id AND s.enrollment_id = e.id),
        'insertedSteps', e.inserted_steps,
        'overrides', (SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'stepKey', o.step_key, 'payload', o.payload, 'reason', o.reason,
                    'actorId', o.actor_id, 'createdAt', o.created_at) ORDER BY o.created_at), '[]')
                  FROM hephaestus.enrollment_overrides o WHERE o.learner_id = e.learner_id AND o.enrollment_id = e.id)) ORDER BY e.enrolled_at), '[]')::text
    FROM hephaestus.enrollments e WHERE e.learner_id = $1
    """);

public static class EnrollmentRecordRegistration
{
    public static IServiceCollection AddEnrollmentRecordSection(this IServiceCollection services) => services.AddPersonalDataSection<EnrollmentsSection>();
}

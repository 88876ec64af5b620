namespace Hephaestus.Data.Learning;

// The learning record in a user's personal data export: mastery, the evidence log, attempts with their results and
// responses, rubric assessments, enrollments; and what the user wrote about others as an educator (ratings given,
// overrides made). Each is one query producing JSON in PostgreSQL (json_agg), read as a whole. A null assessorId or
// actorId names no user: the user who rated or overrode was erased (assessorErased, actorErased), or the override was
// the operator's at the command line.

public sealed class MasterySection() : JsonSection("mastery", """
    SELECT coalesce(json_agg(json_build_object('skillId', m.skill_id, 'skillCode', s.code, 'value', m.value, 'level', m.level_name,
        'mastered', m.mastered, 'evidenceCount', m.evidence_count, 'lastEvidenceAt', m.last_evidence_at, 'method', m.method) ORDER BY s.code), '[]')
    FROM hephaestus.learner_skill_mastery m JOIN hephaestus.skills s ON s.id = m.skill_id WHERE m.learner_id = $1
    """);

public sealed class EvidenceSection() : JsonSection("evidence", """
    SELECT coalesce(json_agg(json_build_object('id', e.id, 'skillId', e.skill_id, 'score', e.score, 'weight', e.weight, 'observedAt', e.observed_at,
        'dueAt', e.due_at, 'source', e.source, 'attemptId', e.attempt_id, 'resultId', e.result_id, 'itemVersionId', e.item_version_id,
        'rubricAssessmentId', e.rubric_assessment_id) ORDER BY e.observed_at, e.skill_seq), '[]')
    FROM hephaestus.evidence e WHERE e.learner_id = $1
    """);

/// <summary>Attempts with the item versions drawn (in order), the responses saved, and each result revision with its per-item scores.</summary>
public sealed class AttemptsSection() : JsonSection("attempts", """
    SELECT coalesce(json_agg(json_build_object('id', a.id, 'assessmentId', a.assessment_id, 'number', a.number, 'status', a.status,
        'startedAt', a.started_at, 'deadlineAt', a.deadline_at, 'submittedAt', a.submitted_at, 'itemVersionIds', a.item_version_ids,
        'responses', (SELECT coalesce(json_agg(json_build_object('itemVersionId', r.item_version_id, 'response', r.response, 'savedAt', r.saved_at)), '[]')
                      FROM hephaestus.attempt_responses r WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id),
        'results', (SELECT coalesce(json_agg(json_build_object('id', x.id, 'revision', x.revision, 'score', x.score, 'points', x.points,
                      'maxPoints', x.max_points, 'passed', x.passed, 'itemScores', x.item_scores, 'reason', x.reason, 'createdAt', x.created_at) ORDER BY x.revision), '[]')
                    FROM hephaestus.results x WHERE x.learner_id = a.learner_id AND x.attempt_id = a.id)) ORDER BY a.started_at), '[]')
    FROM hephaestus.attempts a WHERE a.learner_id = $1
    """);

public sealed class RubricAssessmentsSection() : JsonSection("rubricAssessments", """
    SELECT coalesce(json_agg(json_build_object('id', r.id, 'rubricId', r.rubric_id, 'assessorId', r.assessor_id, 'assessorErased', r.assessor_id IS NULL,
        'subject', r.subject, 'ratings', r.ratings, 'points', r.points, 'createdAt', r.created_at) ORDER BY r.created_at), '[]')
    FROM hephaestus.rubric_assessments r WHERE r.learner_id = $1
    """);

/// <summary>Enrollments in a personal data export: each with its steps' statuses and every override made for the learner.</summary>
public sealed class EnrollmentsSection() : JsonSection("enrollments", """
    SELECT coalesce(json_agg(json_build_object('id', e.id, 'pathId', e.path_id, 'pathVersionId', e.path_version_id, 'status', e.status,
        'goal', e.goal, 'targetDate', e.target_date, 'paceMinutesPerWeek', e.pace_minutes_per_week, 'enrolledAt', e.enrolled_at, 'completedAt', e.completed_at,
        'steps', (SELECT coalesce(json_agg(json_build_object('key', s.step_key, 'status', s.status, 'score', s.score, 'reason', s.reason,
                    'updatedAt', s.updated_at) ORDER BY s.step_index), '[]')
                  FROM hephaestus.enrollment_step_states s WHERE s.learner_id = e.learner_id AND s.enrollment_id = e.id),
        'insertedSteps', e.inserted_steps,
        'overrides', (SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'stepKey', o.step_key, 'payload', o.payload, 'reason', o.reason,
                    'actorId', o.actor_id, 'actorErased', o.actor_erased, 'createdAt', o.created_at) ORDER BY o.created_at), '[]')
                  FROM hephaestus.enrollment_overrides o WHERE o.learner_id = e.learner_id AND o.enrollment_id = e.id)) ORDER BY e.enrolled_at), '[]')
    FROM hephaestus.enrollments e WHERE e.learner_id = $1
    """);

/// <summary>
/// The rubric assessments the user gave other people, with whom they rated. Read through rubric_assessments_by, which
/// returns only the acting user's own ratings (any user's to an admin): row-level security alone would hide ratings of
/// learners the educator no longer teaches.
/// </summary>
public sealed class RubricAssessmentsGivenSection() : JsonSection("rubricAssessmentsGiven", """
    SELECT coalesce(json_agg(json_build_object('id', r.id, 'learnerId', r.learner_id, 'rubricId', r.rubric_id, 'subject', r.subject,
        'ratings', r.ratings, 'points', r.points, 'createdAt', r.created_at) ORDER BY r.created_at, r.id), '[]')
    FROM hephaestus.rubric_assessments_by($1) r
    """);

/// <summary>The overrides the user made to other people's enrollments (or their own), with the learner, the change and its reason.</summary>
public sealed class OverridesMadeSection() : JsonSection("overridesMade", """
    SELECT coalesce(json_agg(json_build_object('id', o.id, 'learnerId', o.learner_id, 'enrollmentId', o.enrollment_id, 'kind', o.kind,
        'stepKey', o.step_key, 'payload', o.payload, 'reason', o.reason, 'createdAt', o.created_at) ORDER BY o.created_at, o.id), '[]')
    FROM hephaestus.enrollment_overrides_by($1) o
    """);

using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Server.Features.Users;
using Npgsql;

namespace Hephaestus.Server.Features.Mastery;

/// <summary>
/// The learning record in a user's personal data export: mastery, the evidence log, attempts with their results and
/// responses, rubric assessments. Each is one query producing JSON in PostgreSQL (json_agg), read as a whole.
/// </summary>
internal abstract class JsonSection(string name, string sql) : IPersonalDataSection
{
    public string Name => name;

    public async Task<object?> ReadAsync(ActorScope scope, Guid userId, CancellationToken ct)
    {
        await using var command = scope.Command(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userId });
        var json = (string?)await command.ExecuteScalarAsync(ct);
        return JsonDocument.Parse(json ?? "[]").RootElement.Clone();
    }
}

internal sealed class MasterySection() : JsonSection("mastery", """
    SELECT coalesce(json_agg(json_build_object('skillId', m.skill_id, 'skillCode', s.code, 'value', m.value, 'level', m.level_name,
        'mastered', m.mastered, 'evidenceCount', m.evidence_count, 'lastEvidenceAt', m.last_evidence_at, 'method', m.method) ORDER BY s.code), '[]')::text
    FROM hephaestus.learner_skill_mastery m JOIN hephaestus.skills s ON s.id = m.skill_id WHERE m.learner_id = $1
    """);

internal sealed class EvidenceSection() : JsonSection("evidence", """
    SELECT coalesce(json_agg(json_build_object('id', e.id, 'skillId', e.skill_id, 'score', e.score, 'weight', e.weight, 'observedAt', e.observed_at,
        'dueAt', e.due_at, 'source', e.source, 'attemptId', e.attempt_id, 'resultId', e.result_id, 'itemVersionId', e.item_version_id,
        'rubricAssessmentId', e.rubric_assessment_id) ORDER BY e.observed_at, e.skill_seq), '[]')::text
    FROM hephaestus.evidence e WHERE e.learner_id = $1
    """);

internal sealed class AttemptsSection() : JsonSection("attempts", """
    SELECT coalesce(json_agg(json_build_object('id', a.id, 'assessmentId', a.assessment_id, 'number', a.number, 'status', a.status,
        'startedAt', a.started_at, 'deadlineAt', a.deadline_at, 'submittedAt', a.submitted_at,
        'responses', (SELECT coalesce(json_agg(json_build_object('itemVersionId', r.item_version_id, 'response', r.response, 'savedAt', r.saved_at)), '[]')
                      FROM hephaestus.attempt_responses r WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id),
        'results', (SELECT coalesce(json_agg(json_build_object('id', x.id, 'revision', x.revision, 'score', x.score, 'points', x.points,
                      'maxPoints', x.max_points, 'passed', x.passed, 'reason', x.reason, 'createdAt', x.created_at) ORDER BY x.revision), '[]')
                    FROM hephaestus.results x WHERE x.learner_id = a.learner_id AND x.attempt_id = a.id)) ORDER BY a.started_at), '[]')::text
    FROM hephaestus.attempts a WHERE a.learner_id = $1
    """);

internal sealed class RubricAssessmentsSection() : JsonSection("rubricAssessments", """
    SELECT coalesce(json_agg(json_build_object('id', r.id, 'rubricId', r.rubric_id, 'assessorId', r.assessor_id, 'subject', r.subject,
        'ratings', r.ratings, 'points', r.points, 'createdAt', r.created_at) ORDER BY r.created_at), '[]')::text
    FROM hephaestus.rubric_assessments r WHERE r.learner_id = $1
    """);

public static class LearningRecordSectionsRegistration
{
    public static IServiceCollection AddLearningRecordSections(this IServiceCollection services) => services
        .AddPersonalDataSection<MasterySection>()
        .AddPersonalDataSection<EvidenceSection>()
        .AddPersonalDataSection<AttemptsSection>()
        .AddPersonalDataSection<RubricAssessmentsSection>();
}
